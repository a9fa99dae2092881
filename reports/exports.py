"""A report's exports, all rendered from its snapshot: the JSON, one CSV per raw table (zip), and a PDF.

The PDF is matplotlib's PdfPages (no system packages, no browser): a summary page, every table (monospaced, split
over pages by rows and columns), then every plot. Fonts are matplotlib's bundled DejaVu, embedded in the file.
"""
import csv
import io
import json
import textwrap
import zipfile

from matplotlib import rc_context
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from .plots import RC, figure_for

ROWS_PER_PAGE = 44
CHARS_PER_LINE = 190  # DejaVu Sans Mono at TABLE_FONT_SIZE across an A4 landscape page, with margins
TABLE_FONT_SIZE = 6.5
A4_LANDSCAPE = (11.69, 8.27)
ZIP_DATE = (2000, 1, 1, 0, 0, 0)  # fixed member dates: the same snapshot gives the same bytes


def report_json_bytes(snapshot: dict) -> bytes:
    return json.dumps(snapshot, indent=2, sort_keys=True).encode()


def tables_zip_bytes(snapshot: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in snapshot["tables"].items():
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow(data["columns"])
            for row in data["rows"]:
                writer.writerow(["" if row.get(c) is None else _csv_cell(row.get(c)) for c in data["columns"]])
            archive.writestr(zipfile.ZipInfo(f"{name}.csv", date_time=ZIP_DATE), text.getvalue())
    return buffer.getvalue()


def _csv_cell(value):
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


def cell_text(value, width: int = 28) -> str:
    """A table cell for people: 4 significant digits, booleans as yes/no, long text shortened."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, sort_keys=True)
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def report_pdf_bytes(snapshot: dict) -> bytes:
    buffer = io.BytesIO()
    with rc_context(RC), PdfPages(buffer, metadata={"Title": snapshot["report"]["title"], "CreationDate": None,
                                                    "Creator": "vision platform reports"}) as pdf:
        pdf.savefig(_summary_page(snapshot))
        if snapshot["deltas"]:
            rows = [{"metric": d["label"], "subject": d["subject"], "baseline": d["baseline"], "change": d["abs"],
                     "change %": d["pct"], "better": d["better"], "verdict": d["verdict"]} for d in snapshot["deltas"]]
            for page in _table_pages(f"Deltas against {snapshot['baseline']['title']}",
                                     ["metric", "subject", "baseline", "change", "change %", "better", "verdict"], rows):
                pdf.savefig(page)
        for data in snapshot["tables"].values():
            for page in _table_pages(data["title"], data["columns"], data["rows"]):
                pdf.savefig(page)
        for spec in snapshot["plots"]:
            pdf.savefig(figure_for(spec, size=A4_LANDSCAPE))
    return buffer.getvalue()


def _summary_page(snapshot: dict) -> Figure:
    fig = Figure(figsize=A4_LANDSCAPE)
    environment = snapshot["metadata"]["environment"]
    lines = [snapshot["report"]["title"], "",
             f"Subject: {snapshot['subject_title']}",
             f"Baseline: {snapshot['baseline']['title'] if snapshot['baseline'] else 'none'}",
             f"Report #{snapshot['report']['id']} by {snapshot['report']['owner']}, generated "
             f"{snapshot['report']['generated_at']}; platform {environment['platform_version']}",
             "Jobs: " + ", ".join(f"#{j['id']} {j['kind']} {j['state']}" for j in snapshot["metadata"]["jobs"]),
             "", f"[{snapshot['summary']['status'].upper()}] {snapshot['summary']['headline']}"]
    for item in snapshot["summary"]["findings"]:
        wrapped = textwrap.wrap(f"[{item['light']}] {item['text']}", 140)
        lines.extend(wrapped or [""])
    for note in snapshot["notes"]:
        lines.extend(textwrap.wrap(f"Note: {note}", 140))
    fig.text(0.04, 0.96, "\n".join(lines[:48]), va="top", ha="left", fontsize=9, family="DejaVu Sans")
    return fig


def _table_pages(title: str, columns: list[str], rows: list[dict]):
    """Figures holding the table as monospaced text (drawing a matplotlib Table cell by cell is several times
    slower): as many columns as fit the page width, ROWS_PER_PAGE rows a page, the first column repeated."""
    if not columns:
        return
    cells = [[cell_text(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(columns[i])] + [len(r[i]) for r in cells]) for i in range(len(columns))]
    groups, current, used = [], [0], widths[0]
    for index in range(1, len(columns)):
        if used + 2 + widths[index] > CHARS_PER_LINE and len(current) > 1:
            groups.append(current)
            current, used = [0], widths[0]
        current.append(index)
        used += 2 + widths[index]
    groups.append(current)
    row_groups = [list(range(i, min(i + ROWS_PER_PAGE, len(rows)))) for i in range(0, len(rows), ROWS_PER_PAGE)]
    row_groups = row_groups or [[]]
    pages = len(groups) * len(row_groups)
    number = 0
    for row_group in row_groups:
        for group in groups:
            number += 1
            fig = Figure(figsize=A4_LANDSCAPE)
            fig.text(0.03, 0.965, f"{title}" + (f" ({number}/{pages})" if pages > 1 else ""), fontsize=12,
                     va="top", weight="bold")
            header = "  ".join(_aligned(columns[i], widths[i], i) for i in group)
            lines = [header, "-" * len(header)]
            lines += ["  ".join(_aligned(cells[r][i], widths[i], i) for i in group) for r in row_group]
            if not row_group:
                lines.append("(no rows)")
            fig.text(0.03, 0.915, "\n".join(lines), va="top", ha="left", family="DejaVu Sans Mono",
                     fontsize=TABLE_FONT_SIZE, linespacing=1.35)
            yield fig


def _aligned(text: str, width: int, index: int) -> str:
    return text.ljust(width) if index == 0 else text.rjust(width)
