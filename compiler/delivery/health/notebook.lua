-- Kubeflow Notebook (kubeflow.org/v1, notebook-controller), by strata.
-- The controller mirrors its pod into status: readyReplicas, containerState, pod conditions.
local hs = {}
local annotations = obj.metadata.annotations
if annotations ~= nil and annotations["kubeflow-resource-stopped"] ~= nil then
  hs.status = "Suspended"
  hs.message = "stopped (kubeflow-resource-stopped: set by the idle culler or by hand)"
  return hs
end
local broken = {CrashLoopBackOff = true, ImagePullBackOff = true, ErrImagePull = true, InvalidImageName = true,
                CreateContainerConfigError = true, CreateContainerError = true}
if obj.status ~= nil then
  local state = obj.status.containerState
  if state ~= nil and state.waiting ~= nil and state.waiting.reason ~= nil and broken[state.waiting.reason] then
    hs.status = "Degraded"
    hs.message = state.waiting.reason
    if state.waiting.message ~= nil then
      hs.message = hs.message .. ": " .. state.waiting.message
    end
    return hs
  end
  if state ~= nil and state.terminated ~= nil and state.terminated.exitCode ~= nil and state.terminated.exitCode ~= 0 then
    hs.status = "Degraded"
    hs.message = "the notebook container exited with code " .. tostring(state.terminated.exitCode)
    if state.terminated.reason ~= nil then
      hs.message = hs.message .. " (" .. state.terminated.reason .. ")"
    end
    return hs
  end
  if obj.status.readyReplicas ~= nil and obj.status.readyReplicas >= 1 then
    hs.status = "Healthy"
    hs.message = "the notebook is ready"
    return hs
  end
  if obj.status.conditions ~= nil then
    for _, c in ipairs(obj.status.conditions) do
      if c.type == "PodScheduled" and c.status == "False" and c.message ~= nil then
        hs.status = "Progressing"
        hs.message = "not scheduled yet: " .. c.message
        return hs
      end
    end
  end
end
hs.status = "Progressing"
hs.message = "waiting for the notebook's pod"
return hs
