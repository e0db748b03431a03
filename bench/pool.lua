-- wrk script: a different token on every request, from the pool file in $POOL.
-- The requests are formatted once per thread in init (where wrk's Host header is known), so
-- that the load generator costs the same per request as for a fixed request.
local reqs, n, i = {}, 0, 0
init = function(args)
  for line in io.lines(os.getenv("POOL")) do
    n = n + 1
    reqs[n] = wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. line })
  end
end
request = function()
  i = i % n + 1
  return reqs[i]
end
