"""A whole facility day driven through the generated Python bindings of azukari-ffi.

The steps run in order and share one facility (unittest runs test methods in name order): set up a facility with
a Python key vault, register cards by tapping a Python software My Number card, print and scan locker labels,
take a card to the clinic and bring it back with the card tapped (and refuse the wrong card), audit the lockers,
take a card out at night with a supervisor's approval, handle its loss, record consent, verify and export the
ledger, lock, and unlock with the vault and the recovery passphrase.

Run by ./scripts/test, which builds the library with the test-only exports (feature `testing`), generates the
bindings from it and points AZUKARI_FFI_PYTHON at the directory holding both. Only the standard library is used.
"""

import hashlib
import hmac
import os
import secrets
import sys
import tempfile
import unittest

sys.path.insert(0, os.environ.get("AZUKARI_FFI_PYTHON", ""))

import azukari_ffi as az  # noqa: E402

PASSPHRASE = "TEST-RECOVERY-PASSPHRASE-0001"
HUB = "hub.sakura-en.example.jp"
AGREEMENT = "私は、施設が私のマイナ保険証および資格確認書を施錠された保管庫で預かり、受診・手続きのために職員が持ち出し、記録のうえ返却することに同意します。"

JPKI_AP = bytes.fromhex("D392F000260100000001")
COMMON_CARD_AP = bytes.fromhex("D3921000310001010100")
OK = b"\x90\x00"
FILE_NOT_FOUND = b"\x6a\x82"


class PythonKeyVault(az.KeyVault):
    """A key vault in Python: the data key is wrapped with a key-encryption key held in memory (an HMAC-SHA256
    keystream and tag: the standard library has no AES). `forget()` plays a keystore that was reset."""

    def __init__(self):
        self.kek = secrets.token_bytes(32)
        self.calls = 0

    def forget(self):
        self.kek = None

    def _stream(self, nonce, store_id):
        return hmac.new(self.kek, b"stream" + nonce + store_id, hashlib.sha256).digest()

    def _tag(self, nonce, store_id, body):
        return hmac.new(self.kek, b"tag" + nonce + store_id + body, hashlib.sha256).digest()

    def wrap_data_key(self, store_id, data_key):
        self.calls += 1
        if self.kek is None:
            raise az.KeyVaultError.KeyMissing()
        nonce = secrets.token_bytes(16)
        body = bytes(a ^ b for a, b in zip(data_key, self._stream(nonce, store_id)))
        return nonce + body + self._tag(nonce, store_id, body)

    def unwrap_data_key(self, store_id, wrapped):
        self.calls += 1
        if self.kek is None:
            raise az.KeyVaultError.KeyMissing()
        nonce, body, tag = wrapped[:16], wrapped[16:48], wrapped[48:]
        if not hmac.compare_digest(tag, self._tag(nonce, store_id, body)):
            raise az.KeyVaultError.Refused("wrapped key does not match this vault")
        return bytes(a ^ b for a, b in zip(body, self._stream(nonce, store_id)))


class OtherKeyVault(az.KeyVault):
    """A vault that hands back a different 32-byte key: the store's canary must refuse it as the wrong key."""

    def wrap_data_key(self, store_id, data_key):
        return b"x"

    def unwrap_data_key(self, store_id, wrapped):
        return bytes(32)


class PythonMyNumberCard(az.CardTransceiver):
    """A software My Number card in Python answering the PIN-less APDUs of DOMAIN.md: SELECT of the JPKI and
    common card applications, SELECT and READ BINARY of the token information and the authentication certificate,
    READ RECORD 1. The certificate is a test certificate made in Rust (`test_card_certificate`). It records every
    APDU so the test can check that no VERIFY and no other application was ever asked for."""

    def __init__(self, serial, card_expires_on="20340516", certificate_expires_on="2029-05-16"):
        self.serial = serial.encode()
        self.card_expires_on = card_expires_on.encode()
        self.certificate = az.test_card_certificate(certificate_expires_on)
        self.application = None
        self.file = None
        self.sent = []

    def transceive(self, apdu):
        self.sent.append(bytes(apdu))
        cla, ins, p1, p2 = apdu[0], apdu[1], apdu[2], apdu[3]
        if cla != 0x00:
            return b"\x6e\x00"
        if ins == 0xA4 and p1 == 0x04 and p2 == 0x0C:
            aid = bytes(apdu[5 : 5 + apdu[4]])
            if aid == JPKI_AP:
                self.application, self.file = "jpki", None
                return OK
            if aid == COMMON_CARD_AP:
                self.application, self.file = "common", None
                return OK
            return FILE_NOT_FOUND
        if ins == 0xA4 and p1 == 0x02 and p2 == 0x0C and self.application == "jpki":
            ef = bytes(apdu[5:7])
            files = {b"\x00\x06": b"JPKIAPICCTOKEN2".ljust(32, b" "), b"\x00\x0a": self.certificate}
            if ef not in files:
                return FILE_NOT_FOUND
            self.file = files[ef]
            return OK
        if ins == 0xB0 and self.file is not None:
            offset = (p1 << 8) | p2
            length = apdu[4] or 256
            chunk = self.file[offset : offset + length]
            return chunk + (OK if len(chunk) == length else b"\x62\x82")
        if ins == 0xB2 and p1 == 0x01 and self.application == "common":
            return b"\x01\x1c" + self.serial + b"13101" + self.card_expires_on + OK
        return b"\x6d\x00"


class NotAMyNumberCard(az.CardTransceiver):
    """A contactless card without the JPKI application (say, a transit card)."""

    def transceive(self, apdu):
        return FILE_NOT_FOUND


class CardThatMovesAway(az.CardTransceiver):
    """A card taken off the phone before it answered."""

    def transceive(self, apdu):
        raise az.CardIoError.TagLost()


class FacilityDay(unittest.TestCase):
    """The facility さくら苑 through one day."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.path = os.path.join(cls.dir.name, "sakura.azukari")
        cls.vault = PythonKeyVault()
        cls.clock = az.TestClock()
        cls.cards = {
            "hana": PythonMyNumberCard("AB1234567890123"),
            "ichiro": PythonMyNumberCard("CD9876543210987"),
        }

    @classmethod
    def tearDownClass(cls):
        facility = getattr(cls, "facility", None)
        if facility is not None:
            facility.lock()
        cls.dir.cleanup()

    def at(self, hour, minute):
        self.clock.set_tokyo_time(hour, minute)

    def as_staff(self, name):
        self.facility.sign_in(self.staff[name])

    def setup(self, intent):
        return az.SetupFlow(self.facility).handle(intent)

    def test_01_an_administrator_creates_the_facility_and_sets_it_up(self):
        cls = type(self)
        cls.facility = az.create_facility_for_tests(
            self.path, "さくら苑", "管理 一郎", PASSPHRASE, self.vault, self.clock
        )
        self.assertGreater(self.vault.calls, 0, "the Python key vault wrapped the data key")
        cls.staff = {"admin": self.facility.signed_in_staff_id()}
        self.assertIsNotNone(cls.staff["admin"])

        def add(name, roles, shifts):
            done = self.setup(az.SetupIntent.ADD_STAFF(name, roles, shifts, "2026-10-01"))
            self.assertTrue(done.is_STAFF_ADDED())
            return done.staff_id

        cls.staff["supervisor"] = add("主任 花子", [az.Role.SUPERVISOR], [az.Shift.DAY])
        cls.staff["day"] = add("取扱 明美", [az.Role.CARD_HANDLER, az.Role.CAREGIVER], [az.Shift.DAY])
        cls.staff["night"] = add("夜勤 健太", [az.Role.CARD_HANDLER, az.Role.CAREGIVER], [az.Shift.NIGHT])

        # Staff do not certify their own training: the supervisor records the founding administrator's.
        self.as_staff("supervisor")
        done = self.setup(az.SetupIntent.RECORD_TRAINING(cls.staff["admin"], "2026-09-25"))
        self.assertEqual(done, az.SetupDone.STAFF_TRAINED(cls.staff["admin"], "2026-09-25"))
        self.as_staff("admin")

        cls.locker = self.setup(
            az.SetupIntent.REGISTER_LOCKER(az.LockerKind.CARD_LOCKER, "保険証ロッカー A", "1F 事務室")
        ).locker_id
        self.setup(az.SetupIntent.REGISTER_LOCKER(az.LockerKind.PIN_SAFE, "暗証番号金庫", "1F 施設長室"))

        cls.residents, cls.items = {}, {}
        for key, name, kana in [("hana", "佐藤 ハナ", "サトウ ハナ"), ("ichiro", "鈴木 一郎", "スズキ イチロウ")]:
            resident = self.setup(az.SetupIntent.ADMIT_RESIDENT(name, kana, "201号室", "2026-10-01")).resident_id
            cls.residents[key] = resident
            agreement = az.AgreementForm(
                resident_id=resident,
                signatory=az.Signatory.FAMILY_WITH_CONSENT(),
                signatory_name="山田 花子",
                relation="長女",
                items=[az.ItemCategory.MYNA_CARD, az.ItemCategory.ELIGIBILITY_CERTIFICATE],
                pin_envelope=False,
                text=AGREEMENT,
                signed_on="2026-10-01",
            )
            self.assertTrue(self.setup(az.SetupIntent.RECORD_PAPER_AGREEMENT(agreement)).is_AGREEMENT_RECORDED())
            form = az.ItemForm(
                resident_id=resident,
                kind=az.NewItemKind.MYNA_CARD(az.CardAuth.PIN),
                home_locker_id=self.locker,
                card_expires_on="",
                certificate_expires_on="",
                document_expires_on="",
            )
            # The card is registered by tapping it: its dates and keyed identity come from the card.
            done = az.SetupFlow(self.facility).register_card_by_reading(form, self.cards[key])
            cls.items[key] = done.item_id

        view = az.SetupFlow(self.facility).view()
        self.assertEqual(sorted(r.name for r in view.residents), ["佐藤 ハナ", "鈴木 一郎"])
        self.assertEqual(len(view.staff), 4)
        self.assertTrue(view.can_register)

    def test_02_registering_a_card_reads_only_what_needs_no_pin(self):
        # Only the PIN-less commands of DOMAIN.md were sent: never a VERIFY, never another application.
        for card in self.cards.values():
            self.assertTrue(card.sent)
            self.assertFalse(any(apdu[1] == 0x20 for apdu in card.sent), "no VERIFY")
            selected = {bytes(a[5:15]) for a in card.sent if a[1] == 0xA4 and a[2] == 0x04}
            self.assertEqual(selected, {JPKI_AP, COMMON_CARD_AP})
        # A card that is not a My Number card registers nothing.
        form = az.ItemForm(
            resident_id=self.residents["hana"],
            kind=az.NewItemKind.MYNA_CARD(az.CardAuth.FACE_ONLY),
            home_locker_id=self.locker,
            card_expires_on="",
            certificate_expires_on="",
            document_expires_on="",
        )
        head = self.facility.verify_ledger().events
        with self.assertRaises(az.AzukariError.NotAMyNumberCard):
            az.SetupFlow(self.facility).register_card_by_reading(form, NotAMyNumberCard())
        self.assertEqual(self.facility.verify_ledger().events, head)

    def test_03_locker_labels_are_printed_as_svg_and_pdf(self):
        svg = self.facility.issue_label_sheet([self.locker], HUB, az.LabelLayout.A4_TWO_BY_SIX, az.LabelSheetFormat.SVG())
        self.assertEqual(len(svg.labels), 1)
        self.assertTrue(svg.svg_pages[0].startswith("<svg"))
        self.assertIsNone(svg.pdf)
        pdf = self.facility.issue_label_sheet(
            [self.locker], HUB, az.LabelLayout.A4_THREE_BY_EIGHT, az.LabelSheetFormat.PDF(None)
        )
        self.assertTrue(pdf.pdf.startswith(b"%PDF"))
        self.assertEqual(pdf.labels[0].serial, svg.labels[0].serial + 1)
        type(self).label = pdf.labels[0].url
        # The first label was superseded by the second.
        with self.assertRaises(az.AzukariError.InvalidQr) as refused:
            self.facility.scan_label(svg.labels[0].url)
        self.assertEqual(refused.exception.problem, az.QrProblem.SUPERSEDED)
        self.assertEqual(self.facility.scan_label(self.label), self.locker)

    def test_04_a_tampered_label_is_refused_with_its_typed_error(self):
        position = len(self.label) - 20  # inside the signature
        swapped = "B" if self.label[position] != "B" else "C"
        tampered = self.label[:position] + swapped + self.label[position + 1 :]
        with self.assertRaises(az.AzukariError.InvalidQr) as refused:
            self.facility.scan_label(tampered)
        self.assertEqual(refused.exception.problem, az.QrProblem.TAMPERED)
        with self.assertRaises(az.AzukariError.InvalidQr) as refused:
            az.HandoverFlow(self.facility).handle(az.HandoverIntent.SCAN_LABEL("https://example.com/not-a-label"))
        self.assertEqual(refused.exception.problem, az.QrProblem.NOT_A_LABEL)
        self.assertTrue(refused.exception.text)

    def test_05_a_designated_handler_takes_a_card_to_the_clinic(self):
        self.at(10, 0)
        self.as_staff("day")
        flow = az.HandoverFlow(self.facility)
        self.assertEqual(flow.view().step, az.HandoverStep.SCAN_LOCKER)
        view = flow.handle(az.HandoverIntent.SCAN_LABEL(self.label))
        self.assertEqual(view.step, az.HandoverStep.CHOOSE_ITEM)
        self.assertEqual(view.locker, "保険証ロッカー A")
        row = next(r for r in view.items if r.item_id == self.items["hana"])
        self.assertEqual(row.label, "佐藤 ハナ様のマイナ保険証")
        self.assertEqual(row.action, "持ち出す")
        view = flow.handle(az.HandoverIntent.CHOOSE_ITEM(self.items["hana"]))
        self.assertEqual(view.step, az.HandoverStep.CHOOSE_PURPOSE)
        view = flow.handle(az.HandoverIntent.CHOOSE_PURPOSE(az.PurposeChoice.MEDICAL_VISIT, None))
        self.assertEqual(view.step, az.HandoverStep.READY_TO_CHECK_OUT)
        self.assertEqual(view.decision.headline, "持ち出せます。")
        view = flow.handle(az.HandoverIntent.CONFIRM())
        self.assertEqual(view.step, az.HandoverStep.CHECKED_OUT)

    def test_06_the_return_refuses_the_wrong_card_and_takes_the_right_one(self):
        self.at(11, 30)
        self.as_staff("day")
        flow = az.HandoverFlow(self.facility)
        view = flow.handle(az.HandoverIntent.SCAN_LABEL(self.label))
        row = next(r for r in view.items if r.item_id == self.items["hana"])
        self.assertEqual(row.action, "返却する")
        view = flow.handle(az.HandoverIntent.CHOOSE_ITEM(self.items["hana"]))
        self.assertEqual(view.step, az.HandoverStep.CARD_CHECK)

        with self.assertRaises(az.AzukariError.NotAMyNumberCard):
            flow.tap_card(NotAMyNumberCard())
        with self.assertRaises(az.AzukariError.CardReadFailed) as moved:
            flow.tap_card(CardThatMovesAway())
        self.assertTrue(moved.exception.retryable)
        with self.assertRaises(az.AzukariError.CardMismatch) as mismatch:
            flow.tap_card(self.cards["ichiro"])
        self.assertEqual(flow.view().notice.kind, az.NoticeKind.ERROR)
        self.assertEqual(flow.view().notice.text, mismatch.exception.text)
        # After a refused card only the right card, tapped, returns the item.
        with self.assertRaises(az.AzukariError.CardMismatch):
            flow.handle(az.HandoverIntent.CONFIRM())

        view = flow.tap_card(self.cards["hana"])
        self.assertEqual(view.step, az.HandoverStep.CARD_CHECK)
        self.assertIsNone(view.notice)
        view = flow.handle(az.HandoverIntent.CONFIRM())
        self.assertEqual(view.step, az.HandoverStep.RETURNED)

    def test_07_a_supervisor_audits_the_lockers(self):
        self.at(14, 0)
        self.as_staff("supervisor")
        audit = az.AuditFlow(self.facility)
        view = audit.handle(az.AuditIntent.START())
        self.assertEqual(view.step, az.AuditStep.SCAN_LOCKER)
        self.assertIsNotNone(audit.audit_id())
        locker = self.facility.scan_label(self.label)
        view = audit.handle(az.AuditIntent.SCAN_LOCKER(locker))
        self.assertEqual(view.step, az.AuditStep.LOCKER)
        self.assertEqual({r.item_id for r in view.expected}, set(self.items.values()))
        for row in view.expected:
            view = audit.handle(az.AuditIntent.MARK_FOUND(row.item_id))
        self.assertEqual(view.progress.checked, view.progress.expected)
        view = audit.handle(az.AuditIntent.COMPLETE())
        self.assertEqual(view.step, az.AuditStep.COMPLETED)
        self.assertEqual(view.summary.missing, [])

    def test_08_a_night_checkout_needs_and_gets_a_supervisors_approval(self):
        self.at(22, 15)
        self.as_staff("night")
        flow = az.HandoverFlow(self.facility)
        flow.handle(az.HandoverIntent.SCAN_LABEL(self.label))
        flow.handle(az.HandoverIntent.CHOOSE_ITEM(self.items["ichiro"]))
        view = flow.handle(az.HandoverIntent.CHOOSE_PURPOSE(az.PurposeChoice.MEDICAL_VISIT, None))
        self.assertEqual(view.step, az.HandoverStep.NEEDS_APPROVAL)
        self.assertTrue(any(r.rule == "night-needs-approval" for r in view.decision.reasons))
        with self.assertRaises(az.AzukariError.OutOfOrder):
            flow.handle(az.HandoverIntent.CONFIRM())
        view = flow.handle(az.HandoverIntent.REQUEST_APPROVAL())
        self.assertEqual(view.step, az.HandoverStep.WAITING_FOR_APPROVAL)
        with self.assertRaises(az.AzukariError.ApprovalRequired):
            flow.handle(az.HandoverIntent.CHECK_APPROVAL())

        # The requester cannot approve their own request.
        inbox = az.ApprovalInbox(self.facility)
        request = inbox.view().requests[0]
        self.assertFalse(request.can_decide)
        with self.assertRaises(az.AzukariError.SelfApproval):
            inbox.handle(az.ApprovalIntent.APPROVE(request.request_id))

        self.as_staff("supervisor")
        view = inbox.view()
        self.assertEqual(view.summary, "承認待ち 1 件")
        request = view.requests[0]
        self.assertEqual(request.requester, "夜勤 健太")
        self.assertTrue(request.can_decide)
        self.assertTrue(any(r.rule == "night-needs-approval" for r in request.rules))
        view = inbox.handle(az.ApprovalIntent.APPROVE(request.request_id))
        self.assertEqual(view.requests, [])
        self.assertEqual(view.notice.kind, az.NoticeKind.INFO)
        with self.assertRaises(az.AzukariError.NoPendingRequest):
            inbox.handle(az.ApprovalIntent.APPROVE(request.request_id))

        self.as_staff("night")
        view = flow.handle(az.HandoverIntent.CHECK_APPROVAL())
        self.assertEqual(view.step, az.HandoverStep.READY_TO_CHECK_OUT)
        view = flow.handle(az.HandoverIntent.CONFIRM())
        self.assertEqual(view.step, az.HandoverStep.CHECKED_OUT)

    def test_09_the_card_lost_outside_is_handled_by_the_checklist(self):
        self.at(23, 30)
        self.as_staff("supervisor")
        incident = az.IncidentFlow(self.facility)
        view = incident.view()
        self.assertEqual(view.step, az.IncidentFlowStep.CHOOSE_KIND)
        view = incident.handle(az.IncidentIntent.OPEN(az.IncidentKind.LOST_OUTSIDE, self.items["ichiro"]))
        self.assertEqual(view.step, az.IncidentFlowStep.CHECKLIST)
        first = view.checklist[0]
        self.assertEqual(first.step, az.IncidentStep.SUSPENSION_CALL)
        self.assertEqual(first.hotline.phone, "0120-95-0178")
        with self.assertRaises(az.AzukariError.OutOfOrder):
            incident.handle(az.IncidentIntent.CLOSE())
        while True:
            pending = [row for row in view.checklist if row.state == az.StepState.NEXT]
            if not pending:
                break
            step = pending[0].step
            if step == az.IncidentStep.POLICE_REPORT:
                view = incident.handle(az.IncidentIntent.RECORD_POLICE_REPORT("第12345号"))
            else:
                view = incident.handle(az.IncidentIntent.COMPLETE_STEP(step))
        self.assertTrue(all(row.state == az.StepState.DONE for row in view.checklist))
        view = incident.handle(az.IncidentIntent.CLOSE())
        self.assertEqual(view.step, az.IncidentFlowStep.CLOSED)
        # The same incident, resumed on another screen.
        resumed = az.IncidentFlow.resume(self.facility, incident.incident_id())
        self.assertEqual(resumed.view().step, az.IncidentFlowStep.CLOSED)

    def test_10_the_board_and_the_alerts_show_the_day(self):
        board = az.BoardFlow(self.facility)
        view = board.view()
        # The card lost outside is no longer held; the one brought back is.
        self.assertEqual([i.item_id for i in view.held.items], [self.items["hana"]])
        self.assertTrue(view.summary)
        view = board.handle(az.BoardIntent.SHOW_RESIDENT(self.residents["hana"]))
        self.assertTrue(view.filter.is_RESIDENT())
        self.assertEqual([i.item_id for i in view.held.items], [self.items["hana"]])
        with self.assertRaises(az.AzukariError.UnknownRecord):
            board.handle(az.BoardIntent.SHOW_LOCKER("00000000-0000-4000-8000-000000000000"))
        with self.assertRaises(az.AzukariError.InvalidId):
            board.handle(az.BoardIntent.SHOW_LOCKER("locker A"))
        alerts = self.facility.alerts()
        self.assertTrue(all(alert.message for alert in alerts))
        self.facility.set_language(az.Language.EN)
        self.assertEqual(self.facility.language(), az.Language.EN)
        self.assertEqual(az.HandoverFlow(self.facility).view().title, "Take out / return")
        self.facility.set_language(az.Language.JA)

    def test_11_a_guardian_confirms_custody_after_reading_the_alternatives(self):
        self.as_staff("admin")
        consent = az.ConsentFlow(self.facility, self.residents["hana"], None)
        view = consent.view()
        self.assertEqual(view.step, az.ConsentStep.ALTERNATIVES)
        self.assertEqual(view.agreement_text, AGREEMENT)
        with self.assertRaises(az.AzukariError.OutOfOrder):
            consent.handle(az.ConsentIntent.CONFIRM_PIN_ENVELOPE())
        view = consent.handle(az.ConsentIntent.ACKNOWLEDGE_ALTERNATIVES())
        self.assertEqual(view.step, az.ConsentStep.AGREEMENT)
        self.assertTrue(view.pin_envelope.available)
        view = consent.handle(
            az.ConsentIntent.CONFIRM_CUSTODY(
                az.Signatory.LEGAL_REPRESENTATIVE(az.LegalRepresentative.ADULT_GUARDIAN),
                "山田 太郎",
                "成年後見人",
                az.ConsentChannel.APP,
            )
        )
        self.assertEqual(view.step, az.ConsentStep.RECORDED)
        self.assertEqual(len(view.agreements), 2)

    def test_12_the_ledger_verifies_and_its_export_too(self):
        report = self.facility.verify_ledger()
        export = self.facility.export_ledger()
        self.assertEqual(len(export.events), report.events)
        self.assertEqual(export.report, report)
        self.assertEqual(export.facility_id, self.facility.facility_id())
        self.assertEqual(az.verify_ledger_export(export), report)
        changed = bytearray(export.events[5].bytes)
        changed[-1] ^= 0x01
        export.events[5] = az.SignedEventBytes(bytes=bytes(changed), signature=export.events[5].signature)
        with self.assertRaises(az.AzukariError.LedgerInvalid):
            az.verify_ledger_export(export)

    def test_13_a_locked_store_opens_only_with_the_right_key_or_passphrase(self):
        cls = type(self)
        events = self.facility.verify_ledger().events
        self.facility.lock()
        self.assertTrue(self.facility.is_locked())
        with self.assertRaises(az.AzukariError.LockedStore):
            az.HandoverFlow(self.facility).view()
        with self.assertRaises(az.AzukariError.WrongPassphrase):
            az.Facility.unlock_with_recovery_passphrase(self.path, "WRONG-RECOVERY-PASSPHRASE-0001")
        with self.assertRaises(az.AzukariError.WrongKey):
            az.Facility.unlock_with_vault(self.path, OtherKeyVault())
        with self.assertRaises(az.AzukariError.StoreNotFound):
            az.Facility.unlock_with_vault(self.path + ".missing", self.vault)

        cls.facility = az.unlock_facility_for_tests(self.path, self.vault, self.clock)
        self.assertIsNone(self.facility.signed_in_staff_id())
        with self.assertRaises(az.AzukariError.NotSignedIn):
            az.HandoverFlow(self.facility).handle(az.HandoverIntent.SCAN_LABEL(self.label))
        self.assertEqual(self.facility.verify_ledger().events, events)
        self.facility.lock()

        # The keystore was reset: the vault no longer has its key, the recovery passphrase still opens the store.
        self.vault.forget()
        with self.assertRaises(az.AzukariError.KeyVaultMissing):
            az.Facility.unlock_with_vault(self.path, self.vault)
        cls.facility = az.Facility.unlock_with_recovery_passphrase(self.path, PASSPHRASE)
        fresh = PythonKeyVault()
        self.facility.rewrap_for_vault(fresh)
        self.facility.lock()
        cls.facility = az.Facility.unlock_with_vault(self.path, fresh)
        self.assertEqual(self.facility.verify_ledger().events, events)


if __name__ == "__main__":
    result = unittest.TextTestRunner(verbosity=2).run(unittest.defaultTestLoader.loadTestsFromTestCase(FacilityDay))
    failed = len(result.failures) + len(result.errors)
    print(f"{result.testsRun - failed} passed, {failed} failed")
    sys.exit(0 if result.wasSuccessful() else 1)
