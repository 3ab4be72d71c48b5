"""The playground's learning tools in a real browser, beyond TF Playground: the trained spiral
(the README's screenshot), a point's backward pass, exports, softmax maps coloured by class,
regression, live changes while training, the hovered neuron, the 3-D view and the classroom mode."""

import os

import pytest
from page_helpers import BLUE, ORANGE, PageUnderTest, closer_to

SPIRAL = ("#seed=1&dataset=spiral&features=x1,x2,sinx1,sinx2&networkShape=8,8&optimizer=adam"
          "&learningRate=0.03&epochsPerFrame=10&showTestData=true&gridSize=100")


@pytest.fixture
def tab(browser, server):
    t = PageUnderTest(browser, None)
    t.base = server
    yield t
    assert t.errors == []
    t.close()


def test_a_trained_spiral_is_drawn_and_photographed(tab, tmp_path):
    # PLAYGROUND_SCREENSHOT=docs/images/playground-spiral.png writes the README's picture
    path = os.environ.get("PLAYGROUND_SCREENSHOT", str(tmp_path / "spiral.png"))
    tab.goto(tab.base + "/" + SPIRAL)
    tab.page.click("#play")
    tab.wait_for_epoch(300)
    tab.page.click("#play")
    tab.page.wait_for_timeout(200)
    header = tab.header()
    assert header["trainAccuracy"] > 0.95 and header["testAccuracy"] > 0.9
    colors = tab.canvas_colors("outputMap")
    orange = sum(n for k, n in colors.items()
                 if closer_to(tuple(map(int, k.split(","))), ORANGE, BLUE))
    assert 0.3 < orange / sum(colors.values()) < 0.7  # two interleaved arms: both classes drawn
    tab.page.screenshot(path=path)
    assert os.path.getsize(path) > 20_000


def test_clicking_a_training_point_shows_its_backward_pass(tab):
    tab.goto(tab.base + "/#seed=2")
    page = tab.page
    point = page.evaluate("window.__playground.data().train.x[0]")
    box = page.locator("#outputPoints").bounding_box()
    page.mouse.click(box["x"] + (point[0] + 6) / 12 * box["width"],
                     box["y"] + (6 - point[1]) / 12 * box["height"])
    page.wait_for_selector("#tracePanel", state="visible")
    assert "training point 0" in page.locator("#traceTitle").inner_text()
    text = page.locator("#traceText").inner_text()
    assert "W1" in text and "grad" in text.lower()
    page.click("#traceClose")
    assert page.locator("#tracePanel").is_hidden()


@pytest.mark.parametrize("button, suffix", [
    ("#exportCode", ".py"), ("#exportModel", ".safetensors"), ("#exportData", ".csv")])
def test_exports_download_a_file(tab, button, suffix, tmp_path):
    tab.goto(tab.base + "/#seed=3")
    with tab.page.expect_download() as info:
        tab.page.click(button)
    download = info.value
    assert download.suggested_filename.endswith(suffix)
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    content = target.read_bytes()
    assert len(content) > 100
    if suffix == ".py":
        assert b"chainrule" in content and b"Linear" in content
    if suffix == ".safetensors":
        import chainrule as cr

        model = cr.load(str(target))
        assert model is not None


def test_three_classes_are_painted_in_their_class_colours(tab):
    tab.goto(tab.base + "/#seed=4&dataset=spiral3&loss=ce&networkShape=8,8&optimizer=adam"
             "&learningRate=0.03&epochsPerFrame=10&discretize=true&features=x1,x2,sinx1,sinx2")
    page = tab.page
    assert tab.header()["network"]["sizes"][-1] == 3
    page.click("#play")
    page.wait_for_function("window.__playground.frame().header.trainAccuracy > 0.8", timeout=30000)
    page.click("#play")
    colors = tab.canvas_colors("outputMap")
    palette = {"245,147,34", "8,119,189", "46,160,67"}
    assert set(colors) <= palette and len(colors) == 3  # every class has its region
    assert page.locator("#confusion tr").count() == 4  # header + 3 classes
    assert page.locator("#colorScale").is_hidden()


def test_regression_paints_the_predicted_value(tab):
    tab.goto(tab.base + "/#seed=5&problem=regression&dataset=plane&learningRate=0.01")
    page = tab.page
    assert page.locator("#problem").input_value() == "regression"
    assert page.locator("#accuracies").is_hidden() and page.locator("#confusionBox").is_hidden()
    page.click("#play")
    page.wait_for_function("window.__playground.frame().header.trainLoss < 0.01", timeout=30000)
    page.click("#play")
    # the plane rises towards x1 + x2: bottom-left low (orange), top-right high (blue)
    assert closer_to(tab.pixel("outputMap", 0.05, 0.95), ORANGE, BLUE)
    assert closer_to(tab.pixel("outputMap", 0.95, 0.05), BLUE, ORANGE)


def test_learning_rate_and_optimizer_change_while_training_without_a_reset(tab):
    tab.goto(tab.base + "/#seed=6")
    page = tab.page
    page.click("#play")
    tab.wait_for_epoch(10)
    page.select_option("#learningRate", "0.1")
    page.select_option("#optimizer", "adam")
    page.wait_for_function("window.__playground.frame().header.lr === 0.1")
    epoch = tab.epoch()
    tab.wait_for_epoch(epoch + 5)
    page.click("#play")
    assert tab.epoch() > 10  # no reset: the epoch kept counting
    assert "learningRate=0.1" in page.url and "optimizer=adam" in page.url


def test_hovering_a_neuron_shows_it_large(tab):
    tab.goto(tab.base + "/#seed=7")
    page = tab.page
    output = tab.canvas_colors("outputMap")
    page.hover('.node[data-node="1:2"] canvas')
    assert page.locator("#mapLabel").inner_text() == "layer 1, neuron 3"
    assert tab.canvas_colors("outputMap") != output
    page.mouse.move(5, 5)
    assert page.locator("#mapLabel").is_hidden()
    assert tab.canvas_colors("outputMap") == output


def test_the_3d_view_draws_the_surface(tab):
    tab.goto(tab.base + "/#seed=8")
    page = tab.page
    assert page.locator("#surface").is_hidden()
    page.check("#view3d")
    assert page.locator("#surface").is_visible()
    colors = tab.canvas_colors("surface")
    assert sum(colors.values()) > 20_000  # a surface, not a few lines
    box = page.locator("#surface").bounding_box()
    page.mouse.move(box["x"] + 150, box["y"] + 150)
    page.mouse.down()
    page.mouse.move(box["x"] + 230, box["y"] + 160)
    page.mouse.up()
    assert tab.canvas_colors("surface") != colors  # dragging turns it


def test_classroom_mode_hides_the_controls_and_keeps_the_pictures(tab):
    tab.goto(tab.base + "/#seed=9&hideControls=true")
    page = tab.page
    assert page.locator("#learningRate").is_hidden() and page.locator("#datasets").is_hidden()
    assert page.locator("#play").is_visible() and page.locator("#outputMap").is_visible()
    assert page.locator(".node.hidden").count() == 6
    page.click("#toggleControls")
    assert page.locator("#learningRate").is_visible()
    assert "hideControls=false" in page.url


def test_a_schedule_lowers_the_learning_rate_and_the_chart_shows_it(tab):
    tab.goto(tab.base + "/#seed=10&scheduler=exponential&learningRate=0.1")
    page = tab.page
    first = tab.header()["lr"]
    page.click("#play")
    tab.wait_for_epoch(20)
    page.click("#play")
    page.wait_for_timeout(200)
    assert tab.header()["lr"] < first
    drawn = tab.canvas_colors("lrChart")
    line = sum(n for k, n in drawn.items() if k.startswith("24,61,78"))  # the chart's colour
    assert line > 50


def test_a_new_link_in_the_same_tab_reconfigures_the_session(tab):
    tab.goto(tab.base + "/#seed=11")
    page = tab.page
    page.evaluate("location.hash = location.hash.replace('networkShape=4,2', 'networkShape=3')")
    page.wait_for_function("window.__playground.frame().header.network.sizes.join() === '2,3,1'")
    assert page.locator(".node.hidden").count() == 3
    assert page.locator("#layerCount").text_content() == "1 hidden layer"


def line_heights(tab, canvas_id, rgb=(24, 61, 78)):
    """For each column of a chart, the mean row of the pixels in the line's colour (None where
    the line is absent): the curve as drawn, top = 0."""
    return tab.page.evaluate(
        """([id, rgb]) => {
             const c = document.getElementById(id);
             const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
             const rows = [];
             for (let x = 0; x < c.width; x++) {
               let sum = 0, n = 0;
               for (let y = 0; y < c.height; y++) {
                 const i = 4 * (y * c.width + x);
                 if (Math.abs(d[i] - rgb[0]) + Math.abs(d[i + 1] - rgb[1])
                     + Math.abs(d[i + 2] - rgb[2]) < 40 && d[i + 3] > 60) { sum += y; n++; }
               }
               rows.push(n ? sum / n : null);
             }
             return rows;
           }""", [canvas_id, list(rgb)])


def test_a_step_schedule_set_on_the_page_is_drawn_as_steps_and_its_inputs_are_checked(tab):
    tab.goto(tab.base + "/#seed=12&learningRate=0.1&scheduler=step&lrStepSize=4&lrGamma=0.5")
    page = tab.page
    assert page.locator("#lrStepSize").is_visible() and page.locator("#lrGamma").is_visible()
    assert page.locator("#lrPatience").is_hidden() and page.locator("#lrMilestones").is_hidden()
    assert page.locator("#lrStepSize").input_value() == "4"
    for _ in range(13):  # epochs 1..13: the rate halves at 4, 8 and 12
        painted = tab.painted()
        page.click("#step")
        tab.wait_for_frame(after=painted)
    header = tab.header()
    assert header["epoch"] == 13 and header["lr"] == pytest.approx(0.1 * 0.5 ** 3)
    rows = [r for r in line_heights(tab, "lrChart") if r is not None]
    assert len(rows) > 100 and rows[0] < rows[-1] - 20  # from high on the left to low
    levels = {round(r) for r in rows}
    flat = [lvl for lvl in levels if sum(abs(r - lvl) < 1 for r in rows) > 15]
    assert len(flat) >= 4, rows  # the plateaus at 0.1, 0.05, 0.025 and 0.0125
    assert "now 0.0125" in page.locator("#lrNow").inner_text()

    # another schedule from its menu: its inputs, its rate at this epoch, kept in the URL
    page.select_option("#scheduler", "multistep")
    assert page.locator("#lrMilestones").is_visible() and page.locator("#lrStepSize").is_hidden()
    page.fill("#lrMilestones", "2, 20")
    page.dispatch_event("#lrMilestones", "change")
    page.wait_for_function("window.__playground.frame().header.lr === 0.05")
    assert "scheduler=multistep" in page.url and "lrMilestones=2,20" in page.url

    # a value out of range: the server refuses it by name and the page keeps the last good one
    page.fill("#lrGamma", "1.5")
    page.dispatch_event("#lrGamma", "change")
    page.wait_for_selector("#banner.error", state="visible")
    assert "lrGamma" in page.locator("#bannerText").inner_text()
    page.wait_for_function("!location.hash.includes('lrGamma=1.5')")
    assert page.locator("#lrGamma").input_value() == "0.5"


def test_a_new_rate_or_optimizer_while_playing_keeps_the_epoch_and_the_schedule(tab):
    tab.goto(tab.base + "/#seed=13&learningRate=0.1&scheduler=step&lrStepSize=10&lrGamma=0.5")
    page = tab.page
    page.click("#play")
    tab.wait_for_epoch(25)
    page.click("#play")
    page.wait_for_timeout(200)
    epoch = tab.header()["epoch"]
    painted = tab.painted()
    page.select_option("#learningRate", "0.3")
    tab.wait_for_frame(after=painted)
    header = tab.header()
    assert header["epoch"] == epoch  # no reset
    assert header["lr"] == pytest.approx(0.3 * 0.5 ** (epoch // 10))  # scaled in place
    painted = tab.painted()
    page.select_option("#optimizer", "adam")
    tab.wait_for_frame(after=painted)
    assert tab.header()["epoch"] == epoch and tab.header()["lr"] == pytest.approx(header["lr"])
    assert "Adam's moments" in page.locator("label:has(#optimizer)").get_attribute("title")


def test_every_schedules_inputs_are_valid_at_their_defaults(tab):
    tab.goto(tab.base + "/#seed=14")
    page = tab.page
    for name in ("step", "multistep", "exponential", "cosine", "linear", "plateau"):
        page.select_option("#scheduler", name)
        shown = page.eval_on_selector_all("#scheduleParams label:not([hidden]) input",
                                          "els => els.map(e => [e.id, e.validity.valid])")
        assert shown and all(valid for _, valid in shown), (name, shown)
