-- Kubeflow training job (kubeflow.org/v1 PyTorchJob, TFJob, XGBoostJob, MPIJob), by strata.
-- A job held by its queue (Kueue sets spec.runPolicy.suspend) is Suspended, not Progressing.
local hs = {}
local function condition(wanted)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == wanted and c.status == "True" then
      return c
    end
  end
  return nil
end
local function said(c, default)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return default
end
local failed = condition("Failed")
if failed ~= nil then
  hs.status = "Degraded"
  hs.message = said(failed, "the job failed")
  return hs
end
local succeeded = condition("Succeeded")
if succeeded ~= nil then
  hs.status = "Healthy"
  hs.message = said(succeeded, "the job succeeded")
  return hs
end
local suspended = condition("Suspended")
local held = obj.spec ~= nil and obj.spec.runPolicy ~= nil and obj.spec.runPolicy.suspend == true
if suspended ~= nil or held then
  hs.status = "Suspended"
  hs.message = said(suspended, "suspended (spec.runPolicy.suspend): waiting to be admitted by its queue")
  return hs
end
local restarting = condition("Restarting")
if restarting ~= nil then
  hs.status = "Progressing"
  hs.message = said(restarting, "restarting")
  return hs
end
local running = condition("Running")
if running ~= nil then
  hs.status = "Progressing"
  hs.message = said(running, "running")
  return hs
end
local created = condition("Created")
hs.status = "Progressing"
hs.message = said(created, "waiting for the training operator")
return hs
