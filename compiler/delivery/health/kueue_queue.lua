-- Kueue ClusterQueue and LocalQueue (kueue.x-k8s.io/v1beta2), by strata: the Active condition.
-- A missing ResourceFlavor or ClusterQueue is waited for (they come with the environment's
-- platform objects and the same project); a stop policy is Suspended.
local hs = {}
if obj.spec ~= nil and obj.spec.stopPolicy ~= nil and obj.spec.stopPolicy ~= "None" then
  hs.status = "Suspended"
  hs.message = "stopped (spec.stopPolicy: " .. obj.spec.stopPolicy .. ")"
  return hs
end
local waiting = {FlavorNotFound = true, ClusterQueueDoesNotExist = true, ClusterQueueIsInactive = true}
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Active" then
      hs.message = c.message
      if c.status == "True" then
        hs.status = "Healthy"
      elseif c.reason ~= nil and waiting[c.reason] then
        hs.status = "Progressing"
      elseif c.reason == "Stopped" then
        hs.status = "Suspended"
      else
        hs.status = "Degraded"
      end
      if hs.message == nil then
        hs.message = c.reason
      end
      return hs
    end
  end
end
hs.status = "Progressing"
hs.message = "waiting for Kueue"
return hs
