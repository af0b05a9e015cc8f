"""Takes the README screenshot (docs/screenshot.png): the page at 1000x700 while a session is charging, signed in
as the driver user-7 through the development sign-in form (issue 13).

Usage: `make screenshot` (or `python Tests/e2e/screenshot.py OUT.png [--full]` with EVCSM_BIN_DIR set).
`--full` shoots the whole page (its full height: status bar, chart, points, history) instead of the first 700 px.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from harness import API, HarnessError, new_chrome, running_runner, set_viewport


def wait(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise HarnessError("screenshot: the page did not reach the expected state")


def main(out: Path, full: bool = False) -> None:
    with running_runner(speed=20, log_name="screenshot-runner.log") as runner:
        # One finished session for the history and a second point charging in the overview (the driver's own).
        token = runner.token("user-7", "driver")
        for point, power in [("cp-2", 22), ("cp-3", 7.4)]:
            code, started = runner.request("POST", f"{API}/start", {
                "chargingPointId": point, "userId": "user-7", "vehicleId": "ev-42", "maxPower": power,
                "targetCharge": 80}, token=token)  # fmt: skip
            assert code == 201, started
        time.sleep(3)
        runner.request("POST", f"{API}/stop", {"sessionId": started["sessionId"]}, token=token)
        driver = new_chrome(1000, 800)
        try:
            set_viewport(driver, 1000, 700)
            driver.get(runner.url("/?point=cp-1"))
            wait(lambda: driver.execute_script("return document.documentElement.dataset.auth") == "signed-out")
            driver.find_element("id", "signin-user").send_keys("user-7")
            driver.find_element("id", "signin-submit").click()  # the form's default role: driver
            wait(lambda: driver.execute_script("return document.getElementById('live').dataset.state") == "live")
            driver.find_element("id", "start").click()
            wait(lambda: float(driver.find_element("id", "energy").text) > 0.5)
            driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
            if full:
                time.sleep(1)  # the history reloads after the start
                set_viewport(driver, 1000, driver.execute_script("return document.documentElement.scrollHeight"))
            driver.save_screenshot(str(out))
        finally:
            driver.quit()
    if shutil.which("pngquant"):  # 256-colour palette: a third of the size, same look
        subprocess.run(["pngquant", "--force", "--skip-if-larger", "--strip", "--output", str(out), str(out)])
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    arguments = [argument for argument in sys.argv[1:] if argument != "--full"]
    main(Path(arguments[0] if arguments else "docs/screenshot.png").resolve(), full="--full" in sys.argv[1:])
