-- Fluid Dataset (data.fluid.io/v1alpha1), by strata. Bound once its runtime is ready.
local hs = {}
local phase = nil
if obj.status ~= nil then
  phase = obj.status.phase
end
local function latest_message(default)
  local message = default
  if obj.status ~= nil and obj.status.conditions ~= nil then
    for _, c in ipairs(obj.status.conditions) do
      if c.message ~= nil and c.message ~= "" then
        message = c.message
      end
    end
  end
  return message
end
if phase == "Bound" then
  hs.status = "Healthy"
  hs.message = "bound to its runtime"
elseif phase == "Updating" then
  hs.status = "Healthy"
  hs.message = "bound; its mounts are being updated"
elseif phase == "Failed" then
  hs.status = "Degraded"
  hs.message = latest_message("the dataset failed")
elseif phase == "DataMigrating" then
  hs.status = "Progressing"
  hs.message = "migrating data"
else
  hs.status = "Progressing"
  hs.message = latest_message("waiting for its runtime to bind it")
end
return hs
