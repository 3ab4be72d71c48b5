"""The playground's page in a real browser (Debian's Chromium through Playwright), against the
real server and session: what a learner sees and does, checked on the page itself (the DOM, and
pixels read back from its canvases)."""

import re

import pytest
from page_helpers import BLUE, ORANGE, STATIC, PageUnderTest, closer_to, serve


@pytest.fixture
def tab(browser, server):
    t = PageUnderTest(browser, server + "/#seed=1")
    yield t
    t.close()


def test_the_page_loads_with_no_console_error(tab):
    page = tab.page
    assert page.title() == "chainrule playground"
    assert tab.epoch() == 0
    assert page.locator(".node.hidden").count() == 6  # TF's default network: 4, 2
    assert page.locator(".node.input.on").count() == 2  # X1, X2
    assert page.locator("#epoch").inner_text() == "000,000"
    assert re.fullmatch(r"\d\.\d+", page.locator("#trainLoss").inner_text())
    assert tab.errors == []


def test_step_trains_one_epoch_and_changes_the_loss(tab):
    before = tab.header()
    tab.page.click("#step")
    tab.wait_for_epoch(1)
    after = tab.header()
    assert after["epoch"] == 1
    assert after["trainLoss"] != before["trainLoss"]
    assert tab.page.locator("#epoch").inner_text() == "000,001"
    assert tab.errors == []


def test_play_advances_the_epoch_until_pause(tab):
    page = tab.page
    loss0 = tab.header()["trainLoss"]
    page.click("#play")
    tab.wait_for_epoch(20)
    page.click("#play")  # pause
    page.wait_for_timeout(300)
    stopped = tab.epoch()
    page.wait_for_timeout(500)
    assert tab.epoch() == stopped >= 20
    assert tab.header()["trainLoss"] != loss0
    assert "playing" not in page.locator("#play").get_attribute("class")


def test_after_training_on_circle_the_map_has_the_classes_colours(tab):
    # circle: the disc inside is class 1 (blue), the ring outside class 0 (orange)
    page = tab.page
    tab.goto(tab.page.url.split("#")[0] + "#seed=3&dataset=circle&features=x1,x2,x1sq,x2sq"
             "&learningRate=0.1&epochsPerFrame=10")
    page.click("#play")
    page.wait_for_function("window.__playground.frame().header.testAccuracy > 0.97",
                           timeout=30000)
    page.click("#play")
    for fx, fy in [(0.02, 0.02), (0.98, 0.02), (0.02, 0.98), (0.98, 0.98)]:
        assert closer_to(tab.pixel("outputMap", fx, fy), ORANGE, BLUE), (fx, fy)
    assert closer_to(tab.pixel("outputMap", 0.5, 0.5), BLUE, ORANGE)


def test_adding_a_layer_and_a_neuron_changes_what_is_drawn(tab):
    page = tab.page
    drawn = tab.snapshot("#network")
    painted = tab.painted()
    page.click("#addLayer")
    tab.wait_for_frame(after=painted)
    assert page.locator(".node.hidden").count() == 8  # 4, 2, 2
    assert tab.header()["network"]["sizes"] == [2, 4, 2, 2, 1]
    assert "networkShape=4,2,2" in page.url
    painted = tab.painted()
    page.locator('.layer-head[data-layer="1"] [data-neurons="add"]').click()
    tab.wait_for_frame(after=painted)
    assert page.locator(".node.hidden").count() == 9
    assert tab.header()["network"]["sizes"] == [2, 5, 2, 2, 1]
    assert tab.snapshot("#network") != drawn
    assert tab.errors == []


def test_a_url_with_state_reloads_to_the_same_controls_and_network(browser, server):
    link = (server + "/#seed=42&dataset=xor&features=x1,x2,x1x2&networkShape=3,5"
            "&activation=relu,tanh&learningRate=0.1&optimizer=adam&regularization=L2"
            "&regularizationRate=0.001&batchSize=20&noise=10&showTestData=true")
    first, second = PageUnderTest(browser, link), PageUnderTest(browser, link)
    try:
        for t in (first, second):
            p = t.page
            assert p.locator("#learningRate").input_value() == "0.1"
            assert p.locator("#optimizer").input_value() == "adam"
            assert p.locator("#regularization").input_value() == "L2"
            assert p.locator("#batchSize").input_value() == "20"
            assert p.locator("#showTestData").is_checked()
            assert p.locator("#activation").input_value() == "mixed"
            assert p.locator('.layer-head[data-layer="1"] select').input_value() == "relu"
            assert p.locator("#datasets canvas.selected").get_attribute("data-dataset") == "xor"
            assert p.locator(".node.hidden").count() == 8
            assert p.locator(".node.input.on").count() == 3
        a, b = first.header()["network"], second.header()["network"]
        assert a["sizes"] == [3, 3, 5, 1]
        assert a["weights"] == b["weights"] and a["biases"] == b["biases"]  # same seed, same net
        assert first.page.evaluate("window.__playground.data().train.x") == \
            second.page.evaluate("window.__playground.data().train.x")
    finally:
        first.close()
        second.close()


def test_editing_a_weight_and_a_bias_changes_the_next_frame(tab):
    page = tab.page
    node = tab.snapshot('.node[data-node="1:0"]')
    painted = tab.painted()
    page.locator('[data-link="0:1:0"]').dispatch_event("click")
    page.locator(".editor input").fill("-3.5")
    page.locator(".editor input").press("Enter")
    tab.wait_for_frame(after=painted)
    assert tab.header()["network"]["weights"][0][0][1] == pytest.approx(-3.5)
    assert tab.snapshot('.node[data-node="1:0"]') != node  # the neuron's picture changed
    painted = tab.painted()
    page.locator('[data-bias="0:0"]').click()
    page.locator(".editor input").fill("2")
    page.locator(".editor button").click()
    tab.wait_for_frame(after=painted)
    assert tab.header()["network"]["biases"][0][0] == pytest.approx(2.0)
    assert tab.errors == []


def test_discretize_paints_two_colours_and_show_test_data_adds_points(tab):
    page = tab.page
    smooth = tab.canvas_colors("outputMap")
    page.check("#discretize")
    discrete = tab.canvas_colors("outputMap")
    assert len(smooth) > 20
    # the map is scaled up without smoothing: only TF's two end colours (and the middle for 0)
    assert set(discrete) <= {"245,147,34", "8,119,189", "232,234,235"}
    assert "discretize=true" in page.url

    def dark_pixels():
        colors = tab.canvas_colors("outputPoints")
        return sum(n for k, n in colors.items() if max(map(int, k.split(","))) < 80)

    assert dark_pixels() == 0  # training points have white rings
    page.check("#showTestData")
    assert dark_pixels() > 50  # test points are ringed in dark grey
    page.uncheck("#showTestData")
    assert dark_pixels() == 0


GOOD_CSV = "x1,x2,label\n" + "\n".join(
    f"{x / 10:.2f},{(x * 7 % 50) / 10 - 2.5:.2f},{int(x > 25)}" for x in range(50))


def test_a_good_csv_becomes_the_data_and_a_bad_one_is_refused_with_a_reason(tab):
    page = tab.page
    painted = tab.painted()
    page.set_input_files("#csvFile", files=[
        {"name": "mine.csv", "mimeType": "text/csv", "buffer": GOOD_CSV.encode()}])
    tab.wait_for_frame(after=painted)
    page.wait_for_function("window.__playground.data().train.x.length"
                           " + window.__playground.data().test.x.length === 50")
    assert page.locator("#banner").is_hidden()
    assert "dataset=csv" in page.url
    assert page.locator("#datasets canvas.selected").get_attribute("data-dataset") == "csv"
    page.set_input_files("#csvFile", files=[
        {"name": "bad.csv", "mimeType": "text/csv", "buffer": b"x1,x2,label\n1,2,0\n3,oops,1\n"}])
    page.wait_for_selector("#banner.error", state="visible")
    text = page.locator("#bannerText").inner_text()
    assert "oops" in text or "row" in text.lower(), text
    # the data stayed as it was
    assert page.evaluate("window.__playground.data().train.x.length"
                         " + window.__playground.data().test.x.length") == 50


def test_divergence_is_shown_pauses_training_and_offers_the_last_good_weights(tab):
    page = tab.page
    # a linear net on the plane at learning rate 1: gradient descent overshoots and blows up
    tab.goto(page.url.split("#")[0] + "#seed=1&problem=regression&dataset=plane&networkShape=4"
             "&activation=linear&learningRate=1")
    page.click("#play")
    page.wait_for_selector("#banner", state="visible", timeout=30000)
    assert "diverged" in page.locator("#bannerText").inner_text()
    assert "playing" not in page.locator("#play").get_attribute("class")
    stopped = tab.epoch()
    page.wait_for_timeout(500)
    assert tab.epoch() == stopped
    assert page.locator("#restore").is_visible()
    painted = tab.painted()
    page.click("#restore")
    tab.wait_for_frame(after=painted)
    network = tab.header()["network"]
    assert all(w == w and abs(w) < 1e30 for m in network["weights"] for r in m for w in r)


def test_two_tabs_train_independently(browser, server):
    one = PageUnderTest(browser, server + "/#seed=5")
    two = PageUnderTest(browser, server + "/#seed=6&networkShape=3")
    try:
        one.page.click("#play")
        one.wait_for_epoch(15)
        assert two.epoch() == 0
        two.page.click("#step")
        two.wait_for_epoch(1)
        one.page.click("#play")
        assert two.epoch() == 1
        assert one.header()["network"]["sizes"] == [2, 4, 2, 1]
        assert two.header()["network"]["sizes"] == [2, 3, 1]
        assert one.errors == [] and two.errors == []
    finally:
        one.close()
        two.close()


def test_a_page_on_a_foreign_origin_cannot_open_a_session(browser, server):
    t = PageUnderTest(browser, None)
    try:
        evil = "http://evil.example/"
        t.page.route(evil, lambda route: route.fulfill(
            content_type="text/html", body="<!doctype html><title>evil</title>"))
        t.page.goto(evil)
        ws = server.replace("http://", "ws://") + "/ws"
        outcome = t.page.evaluate(
            """(url) => new Promise((resolve) => {
                 const seen = [];
                 const s = new WebSocket(url);
                 s.onopen = () => {
                   seen.push('open');
                   s.send(JSON.stringify({type: 'hello', state: {}}));
                 };
                 s.onmessage = () => seen.push('message');
                 s.onclose = (e) => resolve({seen, code: e.code});
                 setTimeout(() => resolve({seen, code: 'timeout'}), 5000);
               })""", ws)
        assert "message" not in outcome["seen"]
        assert outcome["code"] in (1006, 1008), outcome
    finally:
        t.close()


def test_the_page_passes_a_classroom_token_on_and_a_wrong_one_gets_no_session(browser):
    from chainrule.playground.server import create_app

    with serve(create_app(token="s3cret", static_dir=STATIC)) as url:
        good = PageUnderTest(browser, url + "/?token=s3cret#seed=1")
        try:
            assert good.epoch() == 0 and good.errors == []
        finally:
            good.close()
        bad = PageUnderTest(browser, None)
        try:
            bad.page.goto(url + "/?token=wrong#seed=1")
            bad.page.wait_for_selector("#banner.error", state="visible")
            assert "closed" in bad.page.locator("#bannerText").inner_text()
            assert bad.painted() == 0
        finally:
            bad.close()


def test_removing_a_feature_a_neuron_and_a_layer_redraws_the_network(tab):
    page = tab.page
    painted = tab.painted()
    page.click('.node.input[data-feature="x1x2"]')
    tab.wait_for_frame(after=painted)
    assert tab.header()["network"]["features"] == ["x1", "x2", "x1x2"]
    assert "features=x1,x2,x1x2" in page.url
    painted = tab.painted()
    page.locator('.layer-head[data-layer="1"] [data-neurons="remove"]').click()
    tab.wait_for_frame(after=painted)
    assert tab.header()["network"]["sizes"] == [3, 3, 2, 1]
    painted = tab.painted()
    page.click("#removeLayer")
    tab.wait_for_frame(after=painted)
    assert tab.header()["network"]["sizes"] == [3, 3, 1]
    assert page.locator(".node.hidden").count() == 3
    assert page.locator("#layerCount").text_content() == "1 hidden layer"


def test_reset_brings_back_the_same_first_weights_and_regenerate_a_new_seed(tab):
    page = tab.page
    first = tab.header()["network"]["weights"]
    page.click("#step")
    tab.wait_for_epoch(1)
    assert tab.header()["network"]["weights"] != first
    painted = tab.painted()
    page.click("#reset")
    page.wait_for_function(f"window.__playground.painted > {painted} && "
                           "window.__playground.frame().header.epoch === 0")
    assert tab.header()["network"]["weights"] == first
    points = page.evaluate("window.__playground.data().train.x")
    page.click("#regenerate")
    page.wait_for_function("!location.hash.includes('seed=1&')")
    page.wait_for_function(f"JSON.stringify(window.__playground.data().train.x) !== "
                           f"'{__import__('json').dumps(points, separators=(',', ':'))}'")
    assert tab.state()["seed"] != 1


def test_picking_a_data_set_thumbnail_changes_the_data_and_the_url(tab):
    page = tab.page
    points = page.evaluate("window.__playground.data().train.x.slice(0, 5)")
    page.click('#datasets canvas[data-dataset="xor"]')
    page.wait_for_function("window.__playground.data().dataset === 'xor'")
    assert page.evaluate("window.__playground.data().train.x.slice(0, 5)") != points
    assert "dataset=xor" in page.url
    assert page.locator("#datasets canvas.selected").get_attribute("data-dataset") == "xor"


def test_a_setting_the_server_refuses_is_named_and_undone_on_the_page(tab):
    page = tab.page
    page.click('#datasets canvas[data-dataset="spiral3"]')  # picks softmax + CE for 3 classes
    page.wait_for_function("window.__playground.data().numClasses === 3")
    assert page.locator("#loss").input_value() == "ce"
    page.select_option("#loss", "mse")  # one tanh output cannot tell 3 classes apart
    page.wait_for_selector("#banner.error", state="visible")
    assert "loss" in page.locator("#bannerText").inner_text()
    assert page.locator("#loss").input_value() == "ce"
    assert "loss=ce" in page.url
    assert tab.header()["network"]["sizes"][-1] == 3


def test_a_link_the_server_refuses_starts_with_that_setting_at_its_default(browser, server):
    # dataset=csv names a file this tab never uploaded
    t = PageUnderTest(browser, server + "/#seed=12&dataset=csv&networkShape=3")
    try:
        assert "upload" in t.page.locator("#bannerText").inner_text().lower()
        assert t.state()["dataset"] == "circle" and "dataset=circle" in t.page.url
        assert t.header()["network"]["sizes"] == [2, 3, 1]  # the rest of the link kept
    finally:
        t.close()


def test_a_tab_beyond_the_session_cap_is_told_why(browser):
    from chainrule.playground.server import create_app

    with serve(create_app(max_sessions=1, static_dir=STATIC)) as url:
        first = PageUnderTest(browser, url + "/#seed=1")
        second = PageUnderTest(browser, None)
        try:
            second.page.goto(url + "/#seed=2")
            second.page.wait_for_selector("#banner.error", state="visible")
            text = second.page.locator("#bannerText").inner_text()
            assert "closed" in text and "1013" in text
            assert second.painted() == 0
            assert first.epoch() == 0 and first.errors == []
        finally:
            first.close()
            second.close()


def test_play_while_diverged_is_refused_and_the_button_stays_paused(tab):
    page = tab.page
    tab.goto(page.url.split("#")[0] + "#seed=1&problem=regression&dataset=plane&networkShape=4"
             "&activation=linear&learningRate=1")
    page.click("#play")
    page.wait_for_selector("#restore", state="visible")
    page.click("#bannerClose")
    page.click("#play")
    page.wait_for_selector("#banner.error", state="visible")
    assert "diverged" in page.locator("#bannerText").inner_text().lower()
    assert "playing" not in page.locator("#play").get_attribute("class")
