"""`vp predict --save`: the detections drawn on the image with Pillow (an optional dependency: `pip install
vision-platform-client[draw]`; the platform's own environment has it)."""
from __future__ import annotations

from pathlib import Path

COLOURS = ["#ff3838", "#2c99a8", "#ff9d97", "#48f90a", "#cfd231", "#92cc17", "#3ddb86", "#1a9334", "#00d4bb",
           "#ff701f", "#0018ec", "#8438ff", "#520085", "#cb38ff", "#ff95c8", "#ff37c7"]


def draw_detections(image: Path, detections: list[dict], save_to: Path) -> Path:
    """Boxes (`box` [x1, y1, x2, y2] in the image's pixels) with class name and confidence, saved to `save_to`."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise RuntimeError("drawing boxes needs Pillow: pip install 'vision-platform-client[draw]'") from None
    picture = Image.open(image).convert("RGB")
    pen = ImageDraw.Draw(picture)
    font = ImageFont.load_default()
    width = max(1, round(max(picture.size) / 320))
    for found in detections:
        colour = COLOURS[int(found.get("class_id", 0)) % len(COLOURS)]
        x1, y1, x2, y2 = found["box"]
        pen.rectangle([x1, y1, x2, y2], outline=colour, width=width)
        label = f"{found.get('class_name', found.get('class_id'))} {found.get('confidence', 0):.2f}"
        left, top, right, bottom = pen.textbbox((x1, y1), label, font=font)
        lift = bottom - top + 2
        pen.rectangle([x1, max(0, y1 - lift), x1 + right - left + 2, max(lift, y1)], fill=colour)
        pen.text((x1 + 1, max(0, y1 - lift)), label, fill="white", font=font)
    save_to = Path(save_to)
    picture.save(save_to)
    return save_to
