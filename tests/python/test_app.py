"""The app state machine through the Python bindings: taps and reads only.

A facility is founded first (the set-up the administrator did before: `create_facility_for_tests`, then locked).
From then on only `AzukariApp.view()` and `dispatch()` are used, as a shell would: unlock, sign in, the home
screen by role, setting up a locker, a resident and a member of staff from the drawn fields and buttons, a
language switch, every screen the administrator can open rendered in both languages, process death with save and
restore, and a forged label that changes nothing.

Run by ./scripts/test with AZUKARI_FFI_PYTHON pointing at the generated test bindings and their library.
"""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.environ.get("AZUKARI_FFI_PYTHON", ""))

import azukari_core as core  # noqa: E402
import azukari_ffi as az  # noqa: E402
from test_facility_day import PASSPHRASE, PythonKeyVault  # noqa: E402


def buttons(view):
    """Every button on the screen, in the order drawn."""
    found = [view.back] if view.back is not None else []
    for section in view.sections:
        for row in section.rows:
            found.extend(row.buttons)
        found.extend(section.buttons)
    return found


def texts(view):
    """Every text a person reads on the screen."""
    found = [view.title] + [n.text for n in view.notices]
    for section in view.sections:
        found += ([section.title] if section.title else []) + section.paragraphs
        found += [f.label for f in section.facts] + [f.value for f in section.facts]
        for row in section.rows:
            found += [row.title] + row.details
        found += [f.label for f in section.fields]
    return found + [b.label for b in buttons(view)]


class AppThroughBindings(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.path = os.path.join(cls.dir.name, "app.azukari")
        cls.vault = PythonKeyVault()
        cls.clock = az.TestClock()
        founded = az.create_facility_for_tests(
            cls.path, "さくら苑", "管理 一郎", PASSPHRASE, cls.vault, cls.clock
        )
        founded.lock()

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def new_app(self):
        return az.app_for_tests(self.path, self.vault, "hub.sakura.example.jp", self.clock)

    def tap(self, app, label):
        view = app.view()
        for button in buttons(view):
            if button.label == label:
                self.assertTrue(button.enabled, label)
                return app.dispatch(button.event)
        self.fail(f"no button {label!r} on {view.screen}: {[b.label for b in buttons(view)]}")

    def fill(self, app, label, value):
        view = app.view()
        for section in view.sections:
            for field in section.fields:
                if field.label == label:
                    if field.kind.is_ONE_OF():
                        value = next(c.value for c in field.kind.choices if value in c.label)
                    return app.dispatch(core.AppEvent.EDIT(field.id, value))
        self.fail(f"no field {label!r} on {view.screen}")

    def errors(self, view):
        return [n.text for n in view.notices if n.kind == core.NoticeKind.ERROR]

    def test_a_day_of_setting_up_through_the_app(self):
        app = self.new_app()
        view = app.view()
        self.assertEqual(view.screen, core.ScreenKind.UNLOCK)
        self.assertEqual(view.title, "ロック解除")

        # A wrong passphrase is a notice, not an exception, and the store stays locked.
        self.fill(app, "復旧用パスフレーズ", "WRONG-PASSPHRASE-0000")
        view = self.tap(app, "パスフレーズで解除")
        self.assertEqual(view.screen, core.ScreenKind.UNLOCK)
        self.assertEqual(len(self.errors(view)), 1)

        view = self.tap(app, "ロックを解除")
        self.assertEqual(view.screen, core.ScreenKind.SIGN_IN)
        names = [row.title for s in view.sections for row in s.rows]
        self.assertEqual(names, ["管理 一郎"])
        view = app.dispatch(buttons(view)[0].event)
        self.assertEqual(view.screen, core.ScreenKind.HOME)
        self.assertIn("管理 一郎", view.signed_in)
        entries = [row.title for s in view.sections for row in s.rows]
        for entry in ["設定（利用者・ロッカー・職員）", "同期", "端末の設定"]:
            self.assertIn(entry, entries)
        # The founding administrator's training is not recorded yet: the rules allow no approvals or audits.
        self.assertNotIn("承認", entries)

        # Set up a locker, a resident and a night handler from the drawn fields.
        view = app.dispatch(core.AppEvent.OPEN(core.ScreenKind.SETUP))
        self.assertEqual(view.screen, core.ScreenKind.SETUP)
        self.fill(app, "保管庫の種類", "保険証ロッカー")
        self.fill(app, "保管庫の名前（ラベル表示）", "保険証ロッカー A")
        self.fill(app, "設置場所", "1F 事務室")
        view = self.tap(app, "ロッカーを登録")
        self.assertEqual(self.errors(view), [])
        lockers = [r.title for r in view.sections[1].rows]
        self.assertIn("保険証ロッカー A", lockers)

        view = self.tap(app, "利用者を登録")
        self.assertEqual(len(self.errors(view)), 1, "an empty form is refused with a notice")

        # English mid-way: every text follows.
        view = app.dispatch(core.AppEvent.SET_LANGUAGE(core.Language.EN))
        self.assertEqual(view.language, core.Language.EN)
        self.assertTrue(all(not any("\u3040" <= ch <= "\u30ff" for ch in t) for t in [view.title]))
        view = app.dispatch(core.AppEvent.SET_LANGUAGE(core.Language.JA))

        # Every screen the administrator may open renders, in both languages, without a missing message id.
        for language in [core.Language.JA, core.Language.EN]:
            app.dispatch(core.AppEvent.SET_LANGUAGE(language))
            for screen in core.ScreenKind:
                view = app.dispatch(core.AppEvent.OPEN(screen))
                for text in texts(view):
                    self.assertFalse(text.startswith("app-"), f"{screen}: {text}")
        app.dispatch(core.AppEvent.SET_LANGUAGE(core.Language.JA))

        # A forged label changes nothing and says why.
        home = app.dispatch(core.AppEvent.OPEN(core.ScreenKind.HOME))
        view = app.dispatch(core.AppEvent.SCANNED("https://hub.sakura.example.jp/l/AAAA"))
        self.assertEqual(view.screen, home.screen)
        self.assertEqual(len(self.errors(view)), 1)

        # Process death on the setup screen: the same screen and the typed values come back after unlock.
        app.dispatch(core.AppEvent.OPEN(core.ScreenKind.SETUP))
        self.fill(app, "氏名", "佐藤 ハナ")
        saved = app.save()
        del app
        app = self.new_app()
        app.restore(saved)
        view = self.tap(app, "ロックを解除")
        self.assertEqual(view.screen, core.ScreenKind.SETUP)
        values = [f.value for s in view.sections for f in s.fields if f.label == "氏名"]
        self.assertEqual(values, ["佐藤 ハナ"])

        # Locking forgets every key: back to the unlock screen.
        view = app.dispatch(core.AppEvent.LOCK())
        self.assertEqual(view.screen, core.ScreenKind.UNLOCK)


if __name__ == "__main__":
    unittest.main(verbosity=2)
