-- Volcano Queue (scheduling.volcano.sh/v1beta1), by strata.
local hs = {}
local state = nil
if obj.status ~= nil then
  state = obj.status.state
end
if state == "Open" then
  hs.status = "Healthy"
  hs.message = "open"
elseif state == "Closed" then
  hs.status = "Suspended"
  hs.message = "closed: the queue accepts no new jobs"
elseif state == "Closing" then
  hs.status = "Progressing"
  hs.message = "closing"
else
  hs.status = "Progressing"
  hs.message = "waiting for Volcano to open the queue"
end
return hs
