--[[
Alt text of the Word and PowerPoint pictures rendered by Quarto
(pipeline/papers/engines/quarto.py), run after Quarto's own filters.

Quarto shows the caption of ![caption](fig.png){fig-alt="..."} under the
figure, but leaves the Word picture's description empty and PowerPoint's
set to the file path. Word: the image itself gets the fig-alt text, which
Pandoc's writer puts in the description. PowerPoint: each (path, alt) pair is
logged to the JSON file named by RENDER_ALT_LOG, and the pipeline sets the
descriptions, as for the built-in engine.
--]]

local alt_log = {}

function Image(img)
  local alt = img.attributes["fig-alt"]
  if alt == nil or alt == "" then
    return nil
  end
  if FORMAT == "docx" then
    img.caption = pandoc.Inlines({pandoc.Str(alt)})
    return img
  elseif FORMAT == "pptx" then
    table.insert(alt_log, {src = img.src, alt = alt})
  end
  return nil
end

function Pandoc(doc)
  local log = os.getenv("RENDER_ALT_LOG")
  if FORMAT == "pptx" and log ~= nil and log ~= "" then
    local f = assert(io.open(log, "w"))
    f:write(pandoc.json.encode(alt_log))
    f:close()
  end
  return nil
end

return {{traverse = "topdown", Image = Image}, {Pandoc = Pandoc}}
