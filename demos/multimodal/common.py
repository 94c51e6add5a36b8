"""What the multimodal tasks share: the image field, documents (images, or the first page of a PDF), the
AutoClass snippet, and example files (an invoice rendered once with PIL, scikit-image's and gradio's pictures).

Imports neither gradio nor torch: the vision tab's helpers it reuses are imported when called.
"""

from __future__ import annotations

import math
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from core import drawing, images
from core.codegen import path_literal
from core.errors import UserError
from core.params import File

DOCUMENT = "Document"  # the document's `what` in messages
DOC_MAX_PIXELS = 6_000_000  # documents keep more pixels than photos: small print must stay readable for OCR
PDF_DPI = 150  # a PDF page is rendered at this resolution (a Letter page: 1275x1650 pixels)


# ---- the image input -----------------------------------------------------------------------------------
def image_field(required: bool = True, **kwargs) -> File:
    """The photo input: a file path handed over unchanged (the app's own load_image applies EXIF rotation,
    RGB and downscaling), from upload, webcam or clipboard; `images` (the pipelines' name) is accepted too."""
    return File("image", media="image", label="Image", required=required, aliases=("images",),
                widget=(("image_mode", None), ("sources", ("upload", "webcam", "clipboard")), ("height", 320)),
                **kwargs)


def model_image(value: Any):
    """The RGB image the model gets (downscaled above images.MAX_PIXELS); UserError when unreadable."""
    return images.load_image(value, "Image")


def autoclass_snippet(ref, place, image_value: Any, **kwargs) -> str:
    """The vision tab's AutoClass snippet (imports, from_pretrained lines, the image as the app loaded it,
    then the body)."""
    from demos.vision.common import autoclass_snippet as snippet

    return snippet(ref, place, image_value, **kwargs)


def path_of(value: Any) -> str | None:
    """The file path inside a gradio value (a path string or {"path": ...}), or None."""
    if isinstance(value, dict):
        value = value.get("path")
    if isinstance(value, (str, Path)) and str(value).strip():
        return str(Path(str(value)).expanduser())
    return None


# ---- documents: images or the first page of a PDF ------------------------------------------------------
def is_pdf(value: Any) -> bool:
    """Whether value is a PDF file (by its first bytes, whatever its name)."""
    path = path_of(value)
    if not path or not Path(path).is_file():
        return False
    with open(path, "rb") as f:
        return f.read(5) == b"%PDF-"


def pdf_scale(width_pt: float, height_pt: float, max_pixels: int = DOC_MAX_PIXELS) -> float:
    """Render scale for a page of width x height points: PDF_DPI, lowered for huge pages to stay under
    max_pixels. Rounded so the Code panel can print it."""
    scale = PDF_DPI / 72
    pixels = width_pt * scale * height_pt * scale
    if pixels > max_pixels:
        scale *= math.sqrt(max_pixels / pixels)
    return round(scale, 4)


@lru_cache(maxsize=4)
def _pdf_first_page(path: str, mtime: float) -> tuple[Image.Image, int, float]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise UserError("bad_file", what=DOCUMENT,
                        detail=f"{Path(path).name} is not a readable PDF ({exc}); password-protected PDFs are not supported") from None
    try:
        pages = len(pdf)
        if not pages:
            raise UserError("bad_file", what=DOCUMENT, detail="the PDF has no pages")
        page = pdf[0]
        scale = pdf_scale(*page.get_size())
        image = page.render(scale=scale).to_pil().convert("RGB")
    finally:
        pdf.close()
    return image, pages, scale


def pdf_first_page(path: str) -> tuple[Image.Image, int, float]:
    """(first page as an RGB image, number of pages, render scale) of a PDF; cached per file version."""
    image, pages, scale = _pdf_first_page(str(Path(path).resolve()), Path(path).stat().st_mtime)
    return image.copy(), pages, scale


def read_document(value: Any, what: str = DOCUMENT) -> tuple[Image.Image, int]:
    """(the document as an upright RGB image, its number of pages): a PDF's first page rendered at PDF_DPI,
    or the image loaded by core.images (EXIF, transparency on white, at most DOC_MAX_PIXELS; one page).
    UserError when missing or unreadable."""
    if is_pdf(value):
        image, pages, _ = pdf_first_page(path_of(value))
        return image, pages
    return images.load_image(value, what, max_pixels=DOC_MAX_PIXELS), 1


def load_document(value: Any, what: str = DOCUMENT) -> Image.Image:
    """The document as an upright RGB image (read_document without the page count)."""
    return read_document(value, what)[0]


def document_loading_code(value: Any) -> tuple[list[str], list[str]]:
    """(imports, lines) that put the document into `image` exactly as load_document does."""
    if is_pdf(value):
        path = str(Path(path_of(value)).resolve())
        _, pages, scale = pdf_first_page(path)
        more = f" of {pages}" if pages > 1 else ""
        dpi = f"{PDF_DPI} dpi" if math.isclose(scale, round(PDF_DPI / 72, 4)) else "the app's size limit"
        return ["import pypdfium2 as pdfium"], [
            f"pdf = pdfium.PdfDocument({path_literal(path)})",
            f"image = pdf[0].render(scale={scale!r}).to_pil().convert('RGB')  # the first page{more}, at {dpi}",
        ]
    expr, lines = images.loading_code(value, DOC_MAX_PIXELS)
    if not lines:
        return ["from transformers.image_utils import load_image"], [
            f"image = load_image({expr})  # EXIF rotation + RGB, as the pipelines do"]
    blank = lines.index("")
    return lines[:blank], lines[blank + 1:]


# ---- example files -------------------------------------------------------------------------------------
INVOICE_NUMBER = "US-001"
INVOICE_DATE = "2024-03-15"
INVOICE_ITEMS = (("Notebook", 3, 12.00), ("Pencil set", 2, 8.50), ("Backpack", 1, 45.00), ("Desk lamp", 1, 52.00))
INVOICE_TOTAL = f"${sum(qty * price for _, qty, price in INVOICE_ITEMS):.2f}"  # $150.00
_REGULAR_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


def _regular_font(size: int):
    for path in _REGULAR_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def render_invoice(path: str | Path, scale: float = 1.0) -> Path:
    """Draw a one-page invoice (a Letter page: 850x1100 pixels at scale 1, i.e. 100 dpi; white, black print)
    with a number, a date, four items and a total (INVOICE_TOTAL); saved as PNG, or as a one-page PDF when
    path ends in .pdf (drawn at scale 2, 200 dpi, so the PDF renders crisply at 150 dpi)."""
    path = Path(path)
    pdf = path.suffix.lower() == ".pdf"
    if pdf and scale == 1.0:
        scale = 2.0

    def at(*values: float) -> tuple[int, ...]:
        return tuple(round(v * scale) for v in values)

    page = Image.new("RGB", at(850, 1100), "white")
    draw = ImageDraw.Draw(page)
    title, bold, regular = drawing.font(at(44)[0]), drawing.font(at(22)[0]), _regular_font(at(22)[0])
    draw.text(at(60, 60), "INVOICE", font=title, fill="black")
    draw.text(at(60, 140), "Acme Learning Supplies", font=bold, fill="black")
    draw.text(at(60, 172), "12 Market Street, Springfield", font=regular, fill="black")
    draw.text(at(500, 140), f"Invoice number: {INVOICE_NUMBER}", font=regular, fill="black")
    draw.text(at(500, 172), f"Date: {INVOICE_DATE}", font=regular, fill="black")
    draw.text(at(60, 250), "Bill to: Jane Doe", font=regular, fill="black")
    y = 330
    draw.line(at(60, y - 10, 790, y - 10), fill="black", width=at(2)[0])
    rows = [("Item", "Qty", "Amount", bold)] + [(n, f"{q} pcs", f"{q * p:.2f}", regular) for n, q, p in INVOICE_ITEMS]
    for name, qty, amount, fnt in rows:
        draw.text(at(60, y), name, font=fnt, fill="black")
        draw.text(at(480, y), qty, font=fnt, fill="black")
        draw.text(at(650, y), amount, font=fnt, fill="black")
        y += 44
    draw.line(at(60, y, 790, y), fill="black", width=at(2)[0])
    draw.text(at(480, y + 24), f"Total: {INVOICE_TOTAL}", font=bold, fill="black")
    draw.text(at(60, y + 120), "Thank you for your order!", font=regular, fill="black")
    tmp = path.with_name(path.name + ".part")
    if pdf:
        page.save(tmp, format="PDF", resolution=100.0 * scale)
    else:
        page.save(tmp, format="PNG")
    tmp.replace(path)
    return path


def examples_folder() -> Path:
    folder = Path(os.environ.get("GRADIO_TEMP_DIR") or tempfile.gettempdir()) / "playground-examples"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def invoice_example(suffix: str = ".png") -> str | None:
    """The rendered invoice (.png or .pdf) in the examples cache folder, drawn once; None if that fails."""
    path = examples_folder() / f"invoice{suffix}"
    if not path.exists():
        try:
            render_invoice(path)
        except OSError:  # a read-only temp folder: the task simply has fewer examples
            return None
    return str(path)


def skimage_file(name: str) -> str | None:
    """A file of scikit-image's data folder (page.png, text.png...), found without importing skimage."""
    from demos.vision.common import package_file

    return package_file("skimage", "data", name)


def picture(name: str) -> str | None:
    """A named sample photo (demos.vision.common.SAMPLES) or a scikit-image data file; None when missing."""
    from demos.vision.common import sample

    return sample(name) if "." not in name else skimage_file(name)


def rows_with_files(*rows: list) -> list[list]:
    """Example rows whose first item is a path (or None when its file is missing): those rows are dropped."""
    return [list(row) for row in rows if row[0]]
