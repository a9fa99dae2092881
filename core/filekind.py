"""What a file really is, from its first bytes: so a refusal can say "the file is a ZIP archive", not a PIL error.

PIL's own error for a non-image is unhelpful, and once ultralytics is imported its patched Image.open tries to
install a HEIF plugin on an unknown file and fails with "No module named 'pi_heif'" (offline, nothing installs).
"""
SIGNATURES = [
    (b"PK\x03\x04", "a ZIP archive"), (b"PK\x05\x06", "a ZIP archive (empty)"), (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"), (b"Rar!", "a RAR archive"), (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"), (b"%PDF", "a PDF document"), (b"\x7fELF", "an ELF executable"),
    (b"MZ", "a Windows executable"), (b"\x80\x02", "a Python pickle"), (b"\x80\x04", "a Python pickle"),
    (b"\x89HDF", "an HDF5 file"),
    (b"\x08\x01\x12", "an ONNX model (protobuf)"), (b"{", "JSON or text"), (b"<", "HTML/XML or text"),
]


def file_kind(head: bytes) -> str | None:
    """A description such as "a ZIP archive" for known non-image signatures; None when not recognised."""
    for magic, kind in SIGNATURES:
        if head.startswith(magic):
            return kind
    if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head[:64]):
        return "a text file"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        return "a HEIF/AVIF image (not supported)"
    return None


def not_an_image(head: bytes) -> str:
    """The refusal for a file that is no supported image."""
    kind = file_kind(head)
    return f"not an image: the file is {kind}" if kind else "not an image: its content is not a known image format"
