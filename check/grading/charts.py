"""Bar charts as inline SVG for the class report: no plotting library, no script, no fonts to fetch.

Every bar carries `data-label` and `data-count`, so a test (or a reader of the source) can check
the picture against the numbers it was drawn from."""
from html import escape

BAR = "#0969da"
INK = "#24292f"
GRID = "#d0d7de"


def _svg(width, height, body, title):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">'
            f"<title>{escape(title)}</title>{body}</svg>")


def histogram(counts, title, xlabel, ylabel="students"):
    """Vertical bars: `counts` is [(bin label, count)] in order along the x axis."""
    n = max(len(counts), 1)
    bar_w = max(18, min(48, 560 // n))
    left, top, plot_h = 44, 16, 180
    width = left + n * bar_w + 16
    height = top + plot_h + 48
    peak = max([c for _, c in counts] + [1])
    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" stroke="{INK}"/>']
    for tick in sorted({0, peak // 2, peak}):
        y = top + plot_h - plot_h * tick / peak
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" stroke="{GRID}"/>'
                    f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">{tick}</text>')
    for i, (label, count) in enumerate(counts):
        h = plot_h * count / peak
        x = left + i * bar_w
        body.append(f'<rect class="bar" data-label="{escape(str(label))}" data-count="{count}" x="{x + 2}" '
                    f'y="{top + plot_h - h:.1f}" width="{bar_w - 4}" height="{h:.1f}" fill="{BAR}"/>')
        if count:
            body.append(f'<text x="{x + bar_w / 2}" y="{top + plot_h - h - 3:.1f}" text-anchor="middle" '
                        f'fill="{INK}">{count}</text>')
        body.append(f'<text x="{x + bar_w / 2}" y="{top + plot_h + 15}" text-anchor="middle" '
                    f'fill="{INK}">{escape(str(label))}</text>')
    body.append(f'<text x="{left + n * bar_w / 2}" y="{height - 8}" text-anchor="middle" fill="{INK}">'
                f'{escape(xlabel)}</text>')
    body.append(f'<text x="12" y="{top + plot_h / 2}" text-anchor="middle" fill="{INK}" '
                f'transform="rotate(-90 12 {top + plot_h / 2})">{escape(ylabel)}</text>')
    return _svg(width, height, "".join(body), title)


def hbars(rows, title, peak=None, labels=None):
    """Horizontal bars: `rows` is [(label, count)], drawn top to bottom in the order given; charts
    drawn with the same `peak` (largest count) and `labels` (longest label) line up and compare."""
    label_w = max([len(str(l)) for l, _ in rows] + [labels or 0, 4]) * 7 + 12
    bar_max, row_h = 320, 22
    width = label_w + bar_max + 48
    height = row_h * max(len(rows), 1) + 8
    peak = max([c for _, c in rows] + [peak or 0, 1])
    body = []
    for i, (label, count) in enumerate(rows):
        y = 4 + i * row_h
        w = bar_max * count / peak
        body.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" fill="{INK}">{escape(str(label))}</text>'
                    f'<rect class="bar" data-label="{escape(str(label))}" data-count="{count}" x="{label_w}" '
                    f'y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{BAR}"/>'
                    f'<text x="{label_w + w + 5:.1f}" y="{y + 15}" fill="{INK}">{count}</text>')
    return _svg(width, height, "".join(body), title)
