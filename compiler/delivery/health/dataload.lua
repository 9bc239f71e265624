-- Fluid DataLoad (data.fluid.io/v1alpha1), by strata: a one-off cache warm-up.
local hs = {}
local phase = nil
if obj.status ~= nil then
  phase = obj.status.phase
end
if phase == "Complete" then
  hs.status = "Healthy"
  hs.message = "loaded"
  if obj.status.duration ~= nil then
    hs.message = "loaded in " .. obj.status.duration
  end
elseif phase == "Failed" then
  hs.status = "Degraded"
  hs.message = "the load failed"
  if obj.status.conditions ~= nil then
    for _, c in ipairs(obj.status.conditions) do
      if c.message ~= nil and c.message ~= "" then
        hs.message = c.message
      end
    end
  end
elseif phase == "Executing" then
  hs.status = "Progressing"
  hs.message = "loading"
else
  hs.status = "Progressing"
  hs.message = "waiting for its dataset and runtime"
end
return hs
