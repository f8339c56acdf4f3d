-- Runs an Argo CD resource health script the way Argo CD runs one from argocd-cm, on Lua 5.1:
-- the resource as the global `obj`, only the libraries Argo CD opens for custom checks (base,
-- table, package, and an os with time and date only; no string, math, io or debug library, so
-- string methods such as ("x"):sub() fail as they do there), one second of CPU at most, and the
-- returned table checked for a valid health status.
--   lua5.1 health-harness.lua HEALTH_SCRIPT < OBJECT_AS_LUA_TABLE_CONSTRUCTOR
-- Prints the status on the first line and the message after it; exits 1 when the script fails.
local script_path = arg[1]
local script_file = assert(io.open(script_path, "r"))
local script = script_file:read("*a")
script_file:close()
local object_source = io.read("*a")

local valid = { Healthy = true, Progressing = true, Degraded = true, Suspended = true, Missing = true, Unknown = true }

local env = {}
for _, name in ipairs({
  "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "print", "rawequal",
  "rawget", "rawset", "select", "setmetatable", "tonumber", "tostring", "type", "unpack", "xpcall",
  "_VERSION",
}) do
  env[name] = _G[name]
end
env._G = env
env.table = {}
for k, v in pairs(table) do env.table[k] = v end
local safe_os = { time = os.time, date = os.date }
env.require = function(name)
  if name == "os" then return safe_os end
  error("module '" .. tostring(name) .. "' not found")
end

local load_object = assert(loadstring("return " .. object_source, "object"))
env.obj = load_object()

local chunk, compile_error = loadstring(script, "health.lua")
if chunk == nil then
  io.stderr:write("health script does not compile: ", compile_error, "\n")
  os.exit(1)
end
setfenv(chunk, env)

local string_mt = getmetatable("")
local string_index = string_mt.__index
local started = os.clock()
string_mt.__index = nil
debug.sethook(function()
  if os.clock() - started > 1 then error("health script ran longer than 1 s") end
end, "", 10000)
local ok, result = pcall(chunk)
debug.sethook()
string_mt.__index = string_index

if not ok then
  io.stderr:write("health script failed: ", tostring(result), "\n")
  os.exit(1)
end
if type(result) ~= "table" then
  io.stderr:write("expect table output from Lua script, not ", type(result), "\n")
  os.exit(1)
end
if not valid[result.status] then
  print("Unknown")
  print("Lua returned an invalid health status")
  os.exit(0)
end
print(result.status)
io.write(result.message ~= nil and tostring(result.message) or "", "\n")
