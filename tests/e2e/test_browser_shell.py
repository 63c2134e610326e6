"""The web's shell in a real headless Chromium against `dualtrack run` (demo, Kafka, projectors): signing in on a
phone in English and in Chinese, the account page, the language switch; the API docs rendering with no network
but loopback. Every page passes the accessibility check (axe-core: no serious or critical violation) and breaks
no Content-Security-Policy rule; each is kept as a screenshot under test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.running import Running, dualtrack_run
from tests.support.browser import Browser

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str) -> Iterator[Running]:
    with dualtrack_run(tmp_path_factory.mktemp("browser-shell"), kafka_bootstrap) as started:
        yield started


@pytest.fixture
def browser(running: Running, request: pytest.FixtureRequest) -> Iterator[Browser]:
    opened = Browser(running.base_url, test_name=request.node.name)
    yield opened
    opened.close()


def test_given_a_coordinator_on_a_phone_when_she_signs_in_then_her_account_names_her_school_in_either_language(
        running: Running, browser: Browser) -> None:
    browser.phone()
    browser.open("/", "start-signed-out")
    assert browser.driver.current_url.endswith("/sign-in")
    browser.fill("login", "chen.jing@qtc.example")
    browser.fill("password", "not her password")
    browser.press(browser.driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    browser.page("sign-in-refused")
    assert "wrong login or password" in browser.text()
    browser.sign_in("chen.jing@qtc.example", running.sign_ins["coordinator-chen"])
    browser.page("home")
    assert browser.driver.current_url.endswith("/coordinator"), "a coordinator starts at her cohort's dashboard"
    browser.open("/account", "account")
    assert "Chen Jing" in browser.text() and "Qingdao Technician College" in browser.text()
    browser.driver.find_element(By.ID, "language-choice").send_keys("中文")
    browser.press(browser.driver.find_element(By.CSS_SELECTOR, "form.language button"))
    browser.page("account-zh")
    assert "您的角色" in browser.text() and browser.driver.find_element(By.TAG_NAME, "html").get_attribute(
        "lang") == "zh-CN"
    browser.click("退出登录")
    browser.page("signed-out-zh")
    assert browser.driver.current_url.endswith("/sign-in") and "登录" in browser.text()


def test_given_no_network_but_loopback_then_the_api_docs_render_from_the_app_alone(running: Running) -> None:
    browser = Browser(running.base_url, test_name="api-docs-offline", offline=True)
    try:
        browser.driver.get(running.base_url + "/api/docs")
        WebDriverWait(browser.driver, 30).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".swagger-ui .info .title")))
        assert "dualtrack" in browser.text() and "/api/v1/auth/tokens" in browser.text()
        resources = browser.driver.execute_script(
            "return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
        assert resources and all(r.startswith(running.base_url) for r in resources), resources
        browser.check_no_csp_violation("api-docs")
        browser.driver.save_screenshot(str(browser.shots / "api-docs.png"))
    finally:
        browser.close()


EVERY_PAGE = {
    "mentor-zhao": ("zhao.min@crrc.example", ["/mentor/today", "/mentor/practice", "/mentor/queue", "/mentor/centres",
                                              "/mentor/students/{liu}", "/account"]),
    "student-liu": ("liu.yang@students.qtc.example", ["/student", "/student/placements", "/student/calendar",
                                                      "/student/credits", "/student/reads", "/account"]),
    "guardian-he": ("he.jianguo@family.example", ["/student", "/student/placements", "/student/calendar"]),
}


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_given_no_network_but_loopback_then_every_page_of_the_mentor_student_and_guardian_renders_accessibly(
        running: Running, language: str, request: pytest.FixtureRequest) -> None:
    liu = running.student_ids["Liu Yang"]
    for handle, (login, paths) in EVERY_PAGE.items():
        browser = Browser(running.base_url, language=language, offline=True, test_name=f"{request.node.name}-{handle}")
        try:
            browser.phone()
            browser.sign_in(login, running.sign_ins[handle])
            for path in paths:
                browser.open(path.format(liu=liu), path.strip("/").replace("/", "-") or "home")
                assert browser.driver.find_elements(By.TAG_NAME, "h1"), f"{path}: no heading"
                assert "Traceback" not in browser.text() and "Internal" not in browser.text(), path
                assert browser.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == language, path
                main = browser.driver.find_element(By.TAG_NAME, "main").text
                chinese = sum("\u4e00" <= c <= "\u9fff" for c in main)
                assert (chinese > 4) == (language == "zh-CN"), f"{path}: the page is not in {language}: {main[:200]}"
                resources = browser.driver.execute_script(
                    "return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
                assert all(r.startswith(running.base_url) for r in resources), resources
        finally:
            browser.close()


def test_given_only_a_keyboard_then_a_mentor_signs_in_and_reaches_her_sign_off_queue(running: Running,
                                                                                      browser: Browser) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser.open("/sign-in", "keyboard-sign-in")
    keys = ActionChains(browser.driver)
    keys.send_keys(Keys.TAB).perform()  # the skip link comes first
    focused = browser.driver.switch_to.active_element
    assert focused.get_attribute("class") == "skip", "the first stop is 'Skip to the content'"
    browser.driver.find_element(By.ID, "login").send_keys("zhao.min@crrc.example")
    keys.send_keys(Keys.TAB).perform()
    assert browser.driver.switch_to.active_element.get_attribute("id") == "password", "Tab goes on to the password"
    old = browser.driver.find_element(By.TAG_NAME, "html")
    keys.send_keys(running.sign_ins["mentor-zhao"], Keys.ENTER).perform()
    WebDriverWait(browser.driver, 30).until(expected_conditions.staleness_of(old))
    browser.page("keyboard-today")
    links = browser.driver.find_elements(By.CSS_SELECTOR, "header nav a")
    queue = next(link for link in links if link.get_attribute("href").endswith("/mentor/queue"))
    for _ in range(40):  # Tab through the page until the queue's link has the focus, then Enter
        keys.send_keys(Keys.TAB).perform()
        if browser.driver.switch_to.active_element == queue:
            break
    assert browser.driver.switch_to.active_element == queue, "the menu is reached with Tab"
    old = browser.driver.find_element(By.TAG_NAME, "html")
    keys.send_keys(Keys.ENTER).perform()
    WebDriverWait(browser.driver, 30).until(expected_conditions.staleness_of(old))
    browser.page("keyboard-queue")
    assert browser.driver.current_url.endswith("/mentor/queue")
