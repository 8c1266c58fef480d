"""Real Go modules used as their READMEs show, through their Python namespaces (fetched through
the Go module proxy into the module cache; skipped with the reason when offline and not cached).

CEL (cel.dev/cel-go) is the functional-options case of issue 9 item 1: ``cel.NewEnv`` takes
``...EnvOption``, and ``cel.Variable(...)`` returns one. Goldmark with options (GFM, unsafe
HTML), x/net/html parsing from bytes and from a file, chroma highlighting and zstd are issue 9's
streams and options: each output is compared byte for byte with what a Go program with the same
calls prints (``go_output``)."""

from __future__ import annotations

import io

import pytest
import usegolib
from conftest import go_output, require_module, run_py

CEL_MODULE = "cel.dev/cel-go@v0.33.2"


@pytest.fixture(scope="module")
def cel():
    require_module(CEL_MODULE)
    return usegolib.import_("cel.dev/cel-go/cel@v0.33.2")


def test_cel_with_options(cel):
    env = cel.NewEnv(cel.Variable("name", cel.StringType), cel.Variable("n", cel.IntType))
    ast, issues = env.Compile('"hello " + name + " " + string(n * 2)')
    assert issues is None
    program = env.Program(ast)
    value, _details = program.Eval({"name": "world", "n": 21})
    # ref.Val's methods are there although its package was never imported.
    assert value.Value() == "hello world 42"
    assert value.Type().TypeName() == "string"


def test_cel_without_options_and_errors(cel):
    env = cel.NewEnv()  # no options: an empty variadic list
    ast, issues = env.Compile("1 + 2 * 3")
    value, _ = env.Program(ast).Eval({})
    assert value.Value() == 7
    # An undeclared variable: Compile reports issues (a Go object), whose Err() raises.
    ast, issues = env.Compile("missing + 1")
    assert ast is None and issues is not None
    with pytest.raises(usegolib.GoError, match="undeclared reference to 'missing'"):
        issues.Err()


GOLDMARK = ("github.com/yuin/goldmark", "v1.8.7")
XNET = ("golang.org/x/net", "v0.62.0")
CHROMA = ("github.com/alecthomas/chroma/v2", "v2.27.0")
COMPRESS = ("github.com/klauspost/compress", "v1.20.4")

GFM_SOURCE = (
    b"# Options\n\n| name | state |\n|:-----|------:|\n| goldmark | ~~old~~ new |\n"
    b"| x/net | *fine* |\n\n- [x] done\n- [ ] todo\n\nhttps://example.com autolinked\n\n"
    b'<div class="raw">raw <b>html</b></div>\n\ninline <span>html</span> \xc3\xa9\n'
)


def real(module: tuple[str, str], package: str = ""):
    """Imports a package of a pinned real module (fetched first, or the test is skipped)."""
    path, version = module
    require_module(f"{path}@{version}")
    return usegolib.import_(f"{path}{package}@{version}")


def test_goldmark_with_options_renders_gfm_into_bytesio(tmp_path):
    goldmark = real(GOLDMARK)
    extension = real(GOLDMARK, "/extension")
    html = real(GOLDMARK, "/renderer/html")
    md = goldmark.New(
        goldmark.WithExtensions(extension.GFM),
        goldmark.WithRendererOptions(html.WithUnsafe()),
    )
    out = io.BytesIO()
    assert md.Convert(GFM_SOURCE, out) is None
    want = go_output(
        tmp_path,
        dict([GOLDMARK]),
        "github.com/yuin/goldmark github.com/yuin/goldmark/extension "
        "github.com/yuin/goldmark/renderer/html",
        """\
        md := goldmark.New(goldmark.WithExtensions(extension.GFM),
        \tgoldmark.WithRendererOptions(html.WithUnsafe()))
        if err := md.Convert(src, &b); err != nil {
        \tpanic(err)
        }
        """,
        GFM_SOURCE,
    )
    assert out.getvalue() == want
    for piece in (
        b"<table>",
        b'<th style="text-align:left">name</th>',
        b"<del>old</del>",
        b'checked=""',
        b'<a href="https://example.com">',
        b'<div class="raw">raw <b>html</b></div>',
    ):
        assert piece in want, piece
    # Without the options: no table, and raw HTML omitted (the options really reached Go).
    plain = io.BytesIO()
    goldmark.New().Convert(GFM_SOURCE, plain)
    assert b"<table>" not in plain.getvalue() and b"raw HTML omitted" in plain.getvalue()


HTML_PAGE = (
    b"<!DOCTYPE html><title>T &amp; t</title><p class=x>one<p>two <b>bold<i>both</b> it</i>"
    b"<table><tr><td>cell</table><script>if (a < b) {}</script>caf\xc3\xa9"
)

HTML_RENDER = """\
doc, err := html.Parse(bytes.NewReader(src))
if err != nil {
\tpanic(err)
}
if err := html.Render(&b, doc); err != nil {
\tpanic(err)
}
"""


def test_html_parse_from_bytes_and_from_a_file(tmp_path):
    html = real(XNET, "/html")
    doc = html.Parse(b"<p>hi</p>")
    out = io.BytesIO()
    assert html.Render(out, doc) is None
    assert out.getvalue() == b"<html><head></head><body><p>hi</p></body></html>"

    want = go_output(tmp_path, dict([XNET]), "golang.org/x/net/html", HTML_RENDER, HTML_PAGE)
    page = tmp_path / "page.html"
    page.write_bytes(HTML_PAGE)
    with open(page, "rb") as f:
        doc = html.Parse(f)
    out = io.BytesIO()
    html.Render(out, doc)
    assert out.getvalue() == want
    assert b"<td>cell</td>" in want
    again = io.BytesIO()
    html.Render(again, html.Parse(HTML_PAGE))
    assert again.getvalue() == want, "bytes and a file parse alike"


GO_SOURCE = (
    'package main\n\nimport "fmt"\n\n// main says hi.\nfunc main() {\n\tfmt.Println("hi", 42)\n}\n'
)

CHROMA_HIGHLIGHT = """\
if err := quick.Highlight(&b, string(src), "go", "html", "monokai"); err != nil {
\tpanic(err)
}
"""


def test_chroma_highlights_into_bytesio_and_sys_stdout(tmp_path):
    quick = real(CHROMA, "/quick")
    want = go_output(
        tmp_path,
        dict([CHROMA]),
        "github.com/alecthomas/chroma/v2/quick",
        CHROMA_HIGHLIGHT,
        GO_SOURCE.encode(),
    )
    assert b'<span class="kd">func</span>' in want or b"func</span>" in want
    out = io.BytesIO()
    assert quick.Highlight(out, GO_SOURCE, "go", "html", "monokai") is None
    assert out.getvalue() == want
    for stream in ("sys.stdout", "sys.stdout.buffer"):
        r = run_py(
            f"""
            import sys, usegolib
            quick = usegolib.import_("{CHROMA[0]}/quick@{CHROMA[1]}")
            quick.Highlight({stream}, {GO_SOURCE!r}, "go", "html", "monokai")
            sys.stdout.flush()
            """
        )
        assert r.returncode == 0, r.stderr
        assert r.stdout.encode() == want, stream


ZSTD_ENCODE = """\
enc, err := zstd.NewWriter(nil)
if err != nil {
\tpanic(err)
}
b.Write(enc.EncodeAll(src, nil))
"""


def test_zstd_without_options(tmp_path):
    zstd = real(COMPRESS, "/zstd")
    src = b"usegolib calls Go from Python. " * 2000 + bytes(range(256))
    enc = zstd.NewWriter(None)  # no options: an empty variadic list
    data = enc.EncodeAll(src, None)
    assert len(data) < len(src) // 20
    want = go_output(
        tmp_path, dict([COMPRESS]), "github.com/klauspost/compress/zstd", ZSTD_ENCODE, src
    )
    assert data == want, "the same frame as Go's"
    dec = zstd.NewReader(None)
    assert dec.DecodeAll(data, None) == src
    assert dec.DecodeAll(want, b"prefix:") == b"prefix:" + src, "DecodeAll appends to dst"

    # A stream: the Writer keeps the BytesIO after NewWriter returns and writes into it later.
    out = io.BytesIO()
    w = zstd.NewWriter(out)
    assert w.Write(src[:1000]) == 1000
    assert w.Write(src[1000:]) == len(src) - 1000
    assert w.Close() is None
    assert dec.DecodeAll(out.getvalue(), None) == src
    r = zstd.NewReader(io.BytesIO(out.getvalue()))
    buf = bytearray(4096)
    n = r.Read(buf)
    assert 0 < n <= len(src) and bytes(buf[:n]) == src[:n], "Read fills the bytearray"
    with pytest.raises(usegolib.GoError, match="magic number mismatch|invalid input"):
        dec.DecodeAll(b"not zstd at all", None)
