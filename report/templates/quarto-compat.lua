--[[
The fallback engine's share of Quarto's image syntax (pipeline/render.py).

  ![caption](fig.png){fig-alt="..."}     alt text for the picture
  ![](fig.png){fig-cap="..." fig-alt="..."}  caption given as an attribute

Quarto shows the caption under the figure and gives readers of assistive
technology the fig-alt text; pandoc's writers know neither attribute, so:
  * every writer: the image's description (its inlines) and the "alt"
    attribute become the fig-alt text: HTML <img alt>, Word <wp:docPr descr>;
  * typst: pandoc writes no alt, so the image (or the figure holding it) is
    written by pandoc itself and `alt: "..."` is added to its image() call;
  * pptx: pandoc puts the file path in the picture's description, so each
    (path, alt) pair is logged to the JSON file named by the environment
    variable RENDER_ALT_LOG and pipeline/render.py sets the descriptions.
In the typst output image paths stay relative: the Typst source is written
into the workspace and compiled with the workspace as its root.
--]]

local alt_log = {}

local function typst_string(s)
  s = s:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("[\r\n]+", " ")
  return '"' .. s .. '"'
end

-- Add alt: "..." after the path of the first image("...") in typst code.
local function with_typst_alt(code, alt)
  local out, n = code:gsub('image%(("[^"]*")', function(path)
    return 'image(' .. path .. ', alt: ' .. typst_string(alt)
  end, 1)
  return out
end

local function prepare(img)
  local cap = img.attributes["fig-cap"]
  local alt = img.attributes["fig-alt"]
  img.attributes["fig-cap"] = nil
  img.attributes["fig-alt"] = nil
  if alt == nil or alt == "" then
    alt = pandoc.utils.stringify(img.caption)
  end
  if cap ~= nil and #img.caption == 0 then
    img.caption = pandoc.read(cap, "markdown").blocks[1].content or {}
  end
  return img, alt, cap
end

local function finish(img, alt)
  img.attributes["alt"] = alt
  if FORMAT == "pptx" then
    -- pandoc shows the image's inlines as the slide's caption: keep them
    table.insert(alt_log, {src = img.src, alt = alt})
  else
    img.caption = pandoc.Inlines({pandoc.Str(alt)})
  end
  return img
end

-- ![](src){fig-cap="..."} alone in its paragraph is a figure, as in Quarto.
function Para(para)
  local img = para.content[1]
  if #para.content == 1 and img.t == "Image" and img.attributes["fig-cap"] then
    return Figure(pandoc.Figure({pandoc.Plain({img})}, {}, {img.identifier}))
  end
  return nil
end

function Figure(fig)
  -- a figure made from a lone image: ![caption](src){fig-alt=...}
  local imgs = {}
  fig.content:walk({Image = function(i) table.insert(imgs, i) end})
  if #imgs ~= 1 then return nil end
  local img, alt, cap = prepare(imgs[1])
  if cap ~= nil and #fig.caption.long == 0 then
    fig.caption.long = pandoc.read(cap, "markdown").blocks
  end
  fig.content = pandoc.Blocks({pandoc.Plain({finish(img, alt)})})
  if FORMAT == "typst" then
    local code = pandoc.write(pandoc.Pandoc({fig}), "typst")
    return pandoc.RawBlock("typst", with_typst_alt(code, alt)), false
  end
  return fig, false
end

function Image(img)
  -- an image inside a paragraph or elsewhere, not a figure of its own
  local alt
  img, alt = prepare(img)
  img = finish(img, alt)
  if FORMAT == "typst" then
    local code = pandoc.write(pandoc.Pandoc({pandoc.Plain({img})}), "typst")
    code = code:gsub("%s+$", "")
    return pandoc.RawInline("typst", with_typst_alt(code, alt))
  end
  return img
end

function Pandoc(doc)
  local log = os.getenv("RENDER_ALT_LOG")
  if log ~= nil and log ~= "" then
    local f = assert(io.open(log, "w"))
    f:write(pandoc.json.encode(alt_log))
    f:close()
  end
  return doc
end

-- One top-down pass, so that the pptx log is in document order.
return {
  {traverse = "topdown", Para = Para, Figure = Figure, Image = Image},
  {Pandoc = Pandoc},
}
