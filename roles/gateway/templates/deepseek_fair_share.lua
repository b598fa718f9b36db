-- {{ ansible_managed }}
-- Fair share for the gateway's completion routes (nginx's Lua module, Debian's
-- libnginx-mod-http-lua): every request is checked against its client's caps before vLLM
-- sees it, and a client with a token budget is counted from the usage vLLM reports.
--   init(path)     master, at (re)load: the caps and budgets the role rendered as JSON
--   access(api)    access phase, after the key check: budget left? body within the caps?
--   body_filter()  counts the tokens of an answer from its usage (streamed or not)
--   log()          adds them to the client's minute
-- Concurrency per client is nginx's own limit_conn (gateway.conf), not counted here.
local cjson = require("cjson.safe")

local M = {}
local config = { clients = {} }
-- The usage object is near the end of an answer; the tail kept for finding it.
local TAIL_BYTES = 16384

function M.init(path)
  local file = assert(io.open(path, "r"))
  local text = file:read("*a")
  file:close()
  config = assert(cjson.decode(text), "fair share: " .. path .. " is not JSON")
end

local function reject(status, message, param)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.say(cjson.encode({ error = { code = status, message = message, param = param } }))
  return ngx.exit(status)
end

local function minute_key(client)
  return client .. ":" .. math.floor(ngx.time() / 60)
end

local function whole_number(value)
  return type(value) == "number" and value >= 0 and value == math.floor(value)
end

-- A number field must be a whole number no larger than its cap; absent is fine.
local function check_count(request, field, cap)
  local value = request[field]
  if value == nil or value == cjson.null then
    return true
  end
  if not whole_number(value) or value > cap then
    return false, string.format("%s must be a whole number of at most %d for this client", field, cap), field
  end
  return true
end

-- A JSON schema that refers to itself as a whole ({"$ref": "#"}) sends vLLM's grammar
-- compiler into an endless recursion (an HTTP 500); refused here.
local function refers_to_root(value, depth)
  if type(value) ~= "table" or depth > 64 then
    return depth > 64
  end
  for key, item in pairs(value) do
    if key == "$ref" and item == "#" then
      return true
    end
    if refers_to_root(item, depth + 1) then
      return true
    end
  end
  return false
end

local function check(request, api, caps)
  local ok, message, param
  for _, field in ipairs({ "n", "best_of" }) do
    ok, message, param = check_count(request, field, caps[field])
    if not ok then
      return ok, message, param
    end
  end
  for _, field in ipairs({ "max_tokens", "max_completion_tokens" }) do
    ok, message, param = check_count(request, field, caps.max_tokens)
    if not ok then
      return ok, message, param
    end
  end
  -- chat: logprobs is a switch and top_logprobs the count; completions: logprobs is the count.
  local counts = { "top_logprobs", "prompt_logprobs" }
  if api == "completions" then
    counts[#counts + 1] = "logprobs"
  end
  for _, field in ipairs(counts) do
    ok, message, param = check_count(request, field, caps.top_logprobs)
    if not ok then
      return ok, message, param
    end
  end
  local stop = request.stop
  if type(stop) == "table" and #stop > caps.stop then
    return false, string.format("stop may list at most %d strings for this client", caps.stop), "stop"
  end
  for _, field in ipairs({ "response_format", "guided_json", "structured_outputs" }) do
    if refers_to_root(request[field], 0) then
      return false, field .. ": a schema that refers to itself as a whole ($ref \"#\") or nests deeper than 64 "
        .. "levels is not supported", field
    end
  end
  return true
end

function M.access(api)
  local client = ngx.var.deepseek_client
  local limits = config.clients[client]
  if not limits then
    return reject(403, "no fair-share limits for this client")
  end
  if limits.tokens_per_minute > 0 then
    local used = ngx.shared.deepseek_tokens:get(minute_key(client)) or 0
    if used >= limits.tokens_per_minute then
      ngx.header["Retry-After"] = 60 - ngx.time() % 60
      return reject(429, string.format("token budget of %d a minute used up (%d used)", limits.tokens_per_minute, used))
    end
  end

  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  -- client_body_buffer_size equals client_max_body_size: a body that was read is in memory.
  if not body then
    return reject(400, "the request needs a JSON body")
  end
  if #body > limits.caps.prompt_bytes then
    return reject(413, string.format("the request body may be at most %d bytes for this client", limits.caps.prompt_bytes))
  end
  local request = cjson.decode(body)
  if type(request) ~= "table" or request[1] ~= nil then
    return reject(400, "the request body must be a JSON object")
  end
  local ok, message, param = check(request, api, limits.caps)
  if not ok then
    return reject(400, message, param)
  end

  -- Fields the gateway sets are appended to the body as it came, not re-encoded: cjson
  -- cannot tell an empty array from an empty object. vLLM's parser (Python's json), like
  -- cjson above, takes the last of two equal keys, so both see the same request.
  local additions = {}
  -- Without a limit vLLM generates up to the context length: the cap is the limit.
  if request.max_tokens == nil and request.max_completion_tokens == nil then
    additions[#additions + 1] = '"max_tokens":' .. limits.caps.max_tokens
  end
  if limits.tokens_per_minute > 0 then
    ngx.ctx.deepseek_count = { client = client, tail = "" }
    -- A stream reports its usage only when asked to, in a last chunk without choices.
    local options = request.stream_options
    if request.stream == true and not (type(options) == "table" and options.include_usage == true) then
      options = type(options) == "table" and options or {}
      options.include_usage = true
      additions[#additions + 1] = '"stream_options":' .. cjson.encode(options)
    end
  end
  if #additions > 0 then
    local head = body:match("^(.*)}%s*$")
    local separator = head:match("^%s*[{]%s*$") and "" or ","
    ngx.req.set_body_data(head .. separator .. table.concat(additions, ",") .. "}")
  end
end

function M.body_filter()
  local count = ngx.ctx.deepseek_count
  if not count then
    return
  end
  local chunk = ngx.arg[1]
  if chunk and #chunk > 0 then
    local tail = count.tail .. chunk
    count.tail = #tail > TAIL_BYTES and tail:sub(-TAIL_BYTES) or tail
  end
  if ngx.arg[2] then
    -- The last usage object of the answer: the whole request's (a stream's final chunk).
    local text, last = count.tail, nil
    local start = 1
    while true do
      local at = text:find('"usage"%s*:%s*{', start)
      if not at then
        break
      end
      last, start = at, at + 1
    end
    if last then
      count.tokens = tonumber(text:match('"total_tokens"%s*:%s*(%d+)', last))
    end
    count.tail = ""
  end
end

function M.log()
  local count = ngx.ctx.deepseek_count
  if count and count.tokens then
    -- Kept two minutes: the current one and the one a request that began in it ends in.
    ngx.shared.deepseek_tokens:incr(minute_key(count.client), count.tokens, 0, 120)
  end
end

return M
