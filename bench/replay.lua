-- Replays pre-signed OCI requests; `wrk -s bench/replay.lua -- DATA.lua`.
--
-- DATA.lua returns {mode = "static", request = "..."} or {mode = "put", items = {{etag=, head=, tail=}, ...}}.
-- A static request is sent as is. In put mode each request takes a backup that is not in flight, sends it with
-- `if-match: <its current etag>` (if-match is not a signed header, so the signature stays valid), and the
-- response gives the backup back to the pool with the etag it now has. (A ceiling server answers every PUT
-- with the same body, so a response naming a backup that is not in flight frees any backup in flight.)

local data

function init(args)
  data = dofile(args[1])
  if data.mode == "put" then
    free, inflight = {}, {}
    for _, item in ipairs(data.items) do
      free[#free + 1] = item
    end
  end
end

function request()
  if data.mode == "static" then
    return data.request
  end
  local item = table.remove(free)
  if item == nil then
    error("no free backup: the pool is smaller than the number of connections")
  end
  inflight[item.id] = item
  return item.head .. "if-match: " .. item.etag .. "\r\n" .. item.tail
end

function response(status, headers, body)
  if status >= 300 and not reported then
    reported = true
    io.stderr:write("first failure: " .. status .. " " .. body .. "\n")
  end
  if data.mode ~= "put" then
    return
  end
  local id = string.match(body, '"id":"([^"]+)"')
  local item = id and inflight[id]
  if item then
    if status == 200 then
      item.etag = headers["etag"]
    end
  else
    id, item = next(inflight)
  end
  if item then
    inflight[id] = nil
    free[#free + 1] = item
  end
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
