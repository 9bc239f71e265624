-- Fluid cache runtime (data.fluid.io/v1alpha1 AlluxioRuntime, JindoRuntime, JuiceFSRuntime), by strata.
-- Ready when the master (where the engine has one) and the cache workers are ready.
local hs = {}
if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "waiting for Fluid to set up the runtime"
  return hs
end
local function phase_text(role, phase, reason)
  if phase == nil or phase == "" then
    phase = "not started"
  end
  local text = role .. " " .. phase
  if reason ~= nil and reason ~= "" then
    text = text .. " (" .. reason .. ")"
  end
  return text
end
local master = obj.status.masterPhase
if master ~= nil and master ~= "" and master ~= "Ready" then
  hs.status = "Progressing"
  hs.message = phase_text("master", master, obj.status.masterReason)
  return hs
end
local worker = obj.status.workerPhase
if worker == "Ready" then
  hs.status = "Healthy"
  hs.message = "cache workers ready"
elseif worker == "PartialReady" then
  hs.status = "Healthy"
  hs.message = "some cache workers ready"
  if obj.status.workerNumberReady ~= nil and obj.status.desiredWorkerNumberScheduled ~= nil then
    hs.message = tostring(obj.status.workerNumberReady) .. " of " ..
      tostring(obj.status.desiredWorkerNumberScheduled) .. " cache workers ready"
  end
else
  hs.status = "Progressing"
  hs.message = phase_text("workers", worker, obj.status.workerReason)
end
return hs
