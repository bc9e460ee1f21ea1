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
from platform_fakes import PASSPHRASE, PythonKeyVault, PythonMyNumberCard  # noqa: E402


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
        az.found_facility_for_tests(cls.path, "さくら苑", "管理 一郎", PASSPHRASE, cls.vault, cls.clock)

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

    def tap_in_row(self, app, row_text, label):
        view = app.view()
        for section in view.sections:
            for row in section.rows:
                if row_text in row.title:
                    for button in row.buttons:
                        if button.label == label:
                            return app.dispatch(button.event)
        self.fail(f"no {label!r} in a row {row_text!r} on {view.screen}")

    def ok(self, view):
        self.assertEqual(self.errors(view), [], view.screen)
        return view

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
        self.assertNotIn("監査（棚卸し）", entries)

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

        # A policy text that does not parse is refused with its problem and changes nothing.
        policy = next(f for s in view.sections for f in s.fields if f.label == "ルール（Cedar）")
        self.assertIn("permit", policy.value, "the policy in force is offered for editing")
        self.fill(app, "ルール（Cedar）", "permit (principal, action, resource")
        view = self.tap(app, "このルールに置き換える")
        self.assertEqual(len(self.errors(view)), 1, view.notices)
        facts = {f.label: f.value for s in view.sections for f in s.facts}
        self.assertEqual(facts["ルール"], "既定のルール")

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

    def test_b_a_night_checkout_with_approval_and_a_return_with_the_card_tap(self):
        app = self.new_app()
        self.tap(app, "ロックを解除")
        self.tap_in_row(app, "管理 一郎", "この職員でサインイン")
        app.dispatch(core.AppEvent.OPEN(core.ScreenKind.SETUP))
        # Staff, a resident and the resident's card, set up from the drawn forms.
        for name, roles, shift in [("主任 花子", "責任者", "日勤"), ("夜勤 健太", "介護職員・取扱担当者", "夜勤")]:
            self.fill(app, "職員の氏名", name)
            self.fill(app, "役割", roles)
            self.fill(app, "勤務帯", shift)
            self.fill(app, "研修の受講日", "2026-10-01")
            self.ok(self.tap(app, "職員を登録"))
        self.fill(app, "氏名", "鈴木 一郎")
        self.fill(app, "フリガナ", "スズキ イチロウ")
        self.fill(app, "入所日", "2026-10-01")
        self.ok(self.tap(app, "利用者を登録"))
        self.fill(app, "入所者", "鈴木 一郎")
        self.fill(app, "品目", "暗証番号ありのカード")
        self.fill(app, "保管する場所", "保険証ロッカー A")
        view = self.ok(self.tap(app, "預かり品を登録"))
        self.assertTrue(view.request.is_TAP_CARD())
        card = PythonMyNumberCard("CD9876543210987")
        view = self.ok(app.present_card(card))
        self.assertIsNone(view.request)
        self.assertFalse(any(apdu[1] == 0x20 for apdu in card.sent), "no VERIFY was ever sent")
        labels = {label.locker: label.text for label in az.print_labels_for_tests(app)}

        # The supervisor records the administrator's training (nobody certifies their own), then the family's
        # agreement as they read it.
        app.dispatch(core.AppEvent.SIGN_OUT())
        self.tap_in_row(app, "主任 花子", "この職員でサインイン")
        app.dispatch(core.AppEvent.OPEN(core.ScreenKind.SETUP))
        self.fill(app, "職員", "管理 一郎")
        self.fill(app, "研修の受講日", "2026-09-25")
        self.ok(self.tap(app, "研修を記録"))
        app.dispatch(core.AppEvent.OPEN(core.ScreenKind.AGREEMENTS))
        self.tap_in_row(app, "鈴木 一郎", "開く")
        self.ok(self.tap(app, "説明を確認しました"))
        self.fill(app, "署名する人", "家族（本人の同意あり）")
        self.fill(app, "署名した人の氏名", "鈴木 花子")
        self.fill(app, "利用者との関係", "長女")
        self.ok(self.tap(app, "この内容で預かりに同意する"))
        app.dispatch(core.AppEvent.SIGN_OUT())

        # 21:00: the night handler scans locker A; the night rule asks for approval.
        self.clock.set_tokyo_time(21, 0)
        self.tap_in_row(app, "夜勤 健太", "この職員でサインイン")
        view = self.tap(app, "ロッカーのラベルを読み取る")
        self.assertTrue(view.request.is_SCAN_QR())
        view = self.ok(app.dispatch(core.AppEvent.SCANNED(labels["保険証ロッカー A"])))
        self.assertEqual(view.screen, core.ScreenKind.HANDOVER)
        self.tap_in_row(app, "鈴木 一郎様のマイナ保険証", "持ち出す")
        view = self.ok(self.tap(app, "受診"))
        self.assertIn("夜間", " ".join(texts(view)))
        self.ok(self.tap(app, "承認を依頼する"))
        app.dispatch(core.AppEvent.SIGN_OUT())

        # The supervisor approves on this shared device.
        self.clock.set_tokyo_time(21, 5)
        view = self.tap_in_row(app, "主任 花子", "この職員でサインイン")
        self.assertIn(core.ScreenKind.APPROVALS, [b.screen for b in view.badges])
        app.dispatch(core.AppEvent.OPEN(core.ScreenKind.APPROVALS))
        self.ok(self.tap(app, "承認する"))
        app.dispatch(core.AppEvent.SIGN_OUT())

        # The handler takes the card out from "my requests", and returns it at 23:00 with the card tapped.
        self.tap_in_row(app, "夜勤 健太", "この職員でサインイン")
        app.dispatch(core.AppEvent.OPEN(core.ScreenKind.MY_REQUESTS))
        self.tap_in_row(app, "鈴木 一郎様のマイナ保険証", "開く")
        # The request opens already approved: one tap takes the card out.
        self.ok(self.tap(app, "持ち出しを記録する"))
        self.clock.set_tokyo_time(23, 0)
        self.tap(app, "次のラベルを読み取る")
        app.dispatch(core.AppEvent.SCANNED(labels["保険証ロッカー A"]))
        self.tap_in_row(app, "鈴木 一郎様のマイナ保険証", "返却する")
        view = self.tap(app, "カードをタッチして確認")
        self.assertTrue(view.request.is_TAP_CARD())
        self.ok(app.present_card(card))
        view = self.ok(self.tap(app, "返却を記録する"))
        self.assertEqual(view.screen, core.ScreenKind.HANDOVER)
        view = app.dispatch(core.AppEvent.OPEN(core.ScreenKind.HOLDING))
        self.assertEqual([r.title for s in view.sections for r in s.rows], [])
        app.dispatch(core.AppEvent.LOCK())


if __name__ == "__main__":
    unittest.main(verbosity=2)
