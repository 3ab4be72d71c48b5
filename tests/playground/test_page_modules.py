"""The page's own modules, run in the browser on hand-made inputs: the frame decoder, the
settings in the URL hash, and the heatmap painter (pixels read back). No server or session: the
static files are served as they are."""

import pytest
from page_helpers import BLUE, ORANGE, STATIC, PageUnderTest, chromium, serve


@pytest.fixture(scope="module")
def page():
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    app = Starlette(routes=[Mount("/", StaticFiles(directory=STATIC))])
    with serve(app) as url, chromium() as browser:
        t = PageUnderTest(browser, None)
        blank = url + "/blank.html"  # an empty page on the static files' origin
        t.page.route(blank, lambda route: route.fulfill(
            content_type="text/html", body='<!doctype html><link rel="icon" href="data:,">'))
        t.page.goto(blank)
        yield t.page
        assert t.errors == []
        t.close()


def run(page, body, arg=None):
    """Evaluate an async function body with the page's modules imported as F (frames), S (state),
    H (heatmap)."""
    return page.evaluate(
        """async ([body, arg]) => {
             const F = await import('/js/frames.js');
             const S = await import('/js/state.js');
             const H = await import('/js/heatmap.js');
             const code = 'return (async () => {' + body + '})()';
             return await (new Function('F', 'S', 'H', 'arg', code))(F, S, H, arg);
           }""", [body, arg])


@pytest.mark.parametrize("name_length", [1, 2, 3, 4])
def test_a_frame_decodes_to_its_header_and_buffers_whatever_the_padding(page, name_length):
    # header lengths that leave 0, 1, 2 and 3 bytes of padding before the floats
    out = run(page, """
        const frame = F.encodeFrame({type: 'frame', frame: 3, epoch: 7, pad: 'x'.repeat(arg)},
            {output: Float32Array.of(-1, 0.5, 2.25, 1e-3), 'node:1:0': Float32Array.of(3, -4)});
        const {header, buffers} = F.decodeFrame(frame);
        return {epoch: header.epoch, output: Array.from(buffers.output),
                node: Array.from(buffers['node:1:0']), aligned: buffers.output.byteOffset % 4};
    """, name_length)
    assert out["epoch"] == 7
    assert out["output"] == [-1, 0.5, 2.25, pytest.approx(1e-3)]
    assert out["node"] == [3, -4]
    assert out["aligned"] == 0


def test_a_frame_whose_buffer_overruns_the_message_is_refused_by_name(page):
    message = run(page, """
        const frame = F.encodeFrame({type: 'frame'}, {output: Float32Array.of(1, 2)});
        const bytes = new Uint8Array(frame);
        const length = new DataView(frame).getUint32(0, true);
        const text = new TextDecoder().decode(bytes.subarray(4, 4 + length));
        const header = JSON.parse(text);
        header.buffers[0].length = 99;
        const json = new TextEncoder().encode(JSON.stringify(header));
        const start = Math.ceil((4 + json.length) / 4) * 4;
        const out = new ArrayBuffer(start + 8);
        new DataView(out).setUint32(0, json.length, true);
        new Uint8Array(out, 4).set(json);
        try { F.decodeFrame(out); return 'decoded'; } catch (e) { return e.message; }
    """)
    assert "output" in message and "overruns" in message


def test_settings_survive_the_url_hash_and_bad_values_keep_their_defaults(page):
    out = run(page, """
        const s = S.fromHash('#seed=9&features=x2,x1x2,x1&networkShape=3,40,2'
                             + '&activation=relu,elu&learningRate=0.3&noise=500&bogus=1'
                             + '&optimizer=nope&discretize=true');
        const again = S.fromHash(S.toHash(s));
        return {s, same: JSON.stringify(again) === JSON.stringify(s), server: S.serverState(s)};
    """)
    s = out["s"]
    assert s["seed"] == 9
    assert s["features"] == ["x1", "x2", "x1x2"]  # the protocol's order
    assert s["networkShape"] == [3, 32, 2]  # neurons clamped to the limit
    assert s["noise"] == 50 and s["learningRate"] == 0.3
    assert s["optimizer"] == "sgd" and "bogus" not in s
    assert s["discretize"] is True
    assert out["same"]
    assert out["server"]["activation"] == ["relu", "elu", "elu"]  # one per layer, the last repeats
    assert "discretize" not in out["server"]  # page-only settings stay on the page


def test_the_heatmap_puts_row_zero_at_the_top_in_the_scale_colours(page):
    # a 2x2 grid: top row -1 (orange), bottom row +1 (blue), painted at 100x100 unsmoothed
    out = run(page, """
        const c = document.createElement('canvas'); c.width = c.height = 100;
        H.paintValues(c, Float32Array.of(-1, -1, 1, 1), 2, {discretize: true});
        const ctx = c.getContext('2d');
        const px = (x, y) => Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3));
        return {top: px(50, 10), bottom: px(50, 90)};
    """)
    assert tuple(out["top"]) == ORANGE
    assert tuple(out["bottom"]) == BLUE


def test_a_data_point_lands_where_its_coordinates_say(page):
    out = run(page, "return [H.toPixel([-6, 6], [-6, 6], 300, 300),"
                    "        H.toPixel([3, -3], [-6, 6], 300, 300)];")
    assert out == [[0, 0], [225, 225]]


def test_the_pages_schedule_table_matches_the_servers(page):
    from chainrule.playground.schedules import SCHEDULES
    from chainrule.playground.settings import DEFAULTS, SCHEDULERS

    params = run(page, "return S.SCHEDULE_PARAMS;")
    assert params == {name: list(s.params) for name, s in SCHEDULES.items()}
    defaults = run(page, "const d = S.defaults(); return S.serverState(d);")
    assert defaults["scheduler"] == "none" and set(params) | {"none"} == set(SCHEDULERS)
    for key in {k for keys in params.values() for k in keys}:
        assert defaults[key] == DEFAULTS[key], key
    options = page.evaluate("""async () => {
        const html = await (await fetch('/index.html')).text();
        const doc = new DOMParser().parseFromString(html, 'text/html');
        return [...doc.querySelectorAll('#scheduler option')].map(o => o.value);
      }""")
    assert sorted(options) == sorted(SCHEDULERS)
