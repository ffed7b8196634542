#!/usr/bin/python3
"""Writes the tiny image fixtures of tests/test_datasets.cpp into tests/data/datasets/images/.

Run with Debian's Python and Pillow (apt-get install python3-pil):
    /usr/bin/python3 tools/make_image_fixtures.py

Good files, one per colour layout the decoder turns into RGB:
    tiny.jpg             24x16 RGB gradient, R = 10 x, G = 15 y, B = 128 (JPEG: values approximate)
    gray.png             4x3 grayscale, value 20 (3 y + x) + 5
    gray_alpha.png       the same with alpha 100 (dropped by the decoder)
    rgba.png             4x3, R = 60 x, G = 80 y, B = 7, alpha 0..255 (dropped)
Broken files, each refused with its own message:
    truncated.jpg        tiny.jpg cut after 60% of its bytes (no end-of-image marker)
    bad_crc.png          rgba.png with one bit of its IDAT data flipped (the chunk CRC fails)
    truncated.png        rgba.png cut inside its IDAT chunk
"""
import io
import os
import zlib

from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "datasets", "images")


def png_bytes(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def idat_offset(png):
    """Byte offset of the first IDAT chunk's data."""
    at = 8
    while True:
        length = int.from_bytes(png[at:at + 4], "big")
        if png[at + 4:at + 8] == b"IDAT":
            return at + 8, length
        at += 12 + length


def main():
    os.makedirs(OUT, exist_ok=True)
    jpeg = Image.new("RGB", (24, 16))
    jpeg.putdata([(10 * x, 15 * y, 128) for y in range(16) for x in range(24)])
    buffer = io.BytesIO()
    jpeg.save(buffer, format="JPEG", quality=95)
    jpg = buffer.getvalue()

    gray = Image.new("L", (4, 3))
    gray.putdata([20 * (3 * y + x) + 5 for y in range(3) for x in range(4)])
    gray_alpha = Image.new("LA", (4, 3))
    gray_alpha.putdata([(v, 100) for v in gray.getdata()])
    rgba = Image.new("RGBA", (4, 3))
    rgba.putdata([(60 * x, 80 * y, 7, 20 * (3 * y + x)) for y in range(3) for x in range(4)])
    rgba_png = png_bytes(rgba)

    data_at, data_len = idat_offset(rgba_png)
    flipped = bytearray(rgba_png)
    flipped[data_at + data_len // 2] ^= 0x10
    assert zlib.crc32(bytes(flipped[data_at - 4:data_at + data_len])) != int.from_bytes(
        rgba_png[data_at + data_len:data_at + data_len + 4], "big")

    files = {
        "tiny.jpg": jpg,
        "gray.png": png_bytes(gray),
        "gray_alpha.png": png_bytes(gray_alpha),
        "rgba.png": rgba_png,
        "truncated.jpg": jpg[:len(jpg) * 6 // 10],
        "bad_crc.png": bytes(flipped),
        "truncated.png": rgba_png[:data_at + data_len // 2],
    }
    for name, data in files.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
