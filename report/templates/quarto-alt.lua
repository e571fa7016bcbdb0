--[[
Alt text of the Word pictures rendered by Quarto (pipeline/papers/engines/quarto.py).

Quarto shows the caption of ![caption](fig.png){fig-alt="..."} under the
figure, but its Word output leaves the picture's description empty. Run after
Quarto's own filters, this gives the image itself the fig-alt text, which
Pandoc's Word writer puts in the picture's description (wp:docPr descr).
--]]

function Image(img)
  if FORMAT ~= "docx" then
    return nil
  end
  local alt = img.attributes["fig-alt"]
  if alt ~= nil and alt ~= "" then
    img.caption = pandoc.Inlines({pandoc.Str(alt)})
    return img
  end
  return nil
end
