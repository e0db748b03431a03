-- wrk script: a different token on every request, from the pool file in $POOL.
local tokens = {}
for line in io.lines(os.getenv("POOL")) do
  tokens[#tokens + 1] = line
end
local i = 0
request = function()
  i = i % #tokens + 1
  return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. tokens[i] })
end
