--[[
Confinement of the papers' images and links (both engines).

Every picture in a paper is a file of the workspace, named by a relative
path. An image whose source is absolute, climbs out with "..", or names a
URL scheme (file:, http:, data:, ...) stops the render, as does a link to an
absolute path, a path with "..", or any scheme other than http, https and
mailto. Text from the data cannot form an image or a link (it is escaped by
pipeline/papers/markup.py); this filter is the second line, so that no
embedding of resources can read a file from outside the workspace.
--]]

local function scheme(target)
  return target:match("^(%a[%w+.-]*):")
end

local function climbs(target)
  local path = target:gsub("[?#].*$", "")
  for part in path:gmatch("[^/\\]+") do
    if part == ".." then return true end
  end
  return false
end

local function absolute(target)
  return target:match("^[/\\]") ~= nil or target:match("^%a:[/\\]") ~= nil or target:match("^~") ~= nil
end

local function refuse(kind, target)
  -- Not error(): Quarto reports a filter's error and still writes the document. Leaving
  -- pandoc with a failure status means no output is written, with either engine.
  io.stderr:write("refused " .. kind .. " '" .. target .. "': only relative paths inside the workspace are allowed\n")
  os.exit(3)
end

function Image(img)
  local src = img.src
  if scheme(src) or absolute(src) or climbs(src) then
    refuse("image", src)
  end
  return nil
end

local allowed = { http = true, https = true, mailto = true }

function Link(link)
  local target = link.target
  local s = scheme(target)
  if s then
    if not allowed[s:lower()] then refuse("link", target) end
  elseif absolute(target) or climbs(target) then
    refuse("link", target)
  end
  return nil
end
