"""Checks of the Android sources that need no compiler: the screens stay portable and thin, and no Android source
holds a user-visible text or a business rule (texts and rules are the core's).

    python3 tests/android/check_sources.py [ANDROID_DIR]

Ends with "sources: N passed, M failed"; exits non-zero when a check failed.
"""

import pathlib
import re
import sys

ANDROID = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "android")
SCREENS = ANDROID / "screens/src/main/kotlin"
APP = ANDROID / "app/src/main/kotlin"

# What the screens may use of the bindings: the view and the events, nothing that decides.
VIEW_TYPES = {
    "AppView", "AppEvent", "Button", "ButtonStyle", "Row", "Section", "Field", "FieldKind", "FieldId", "Fact",
    "Choice", "Notice", "NoticeKind", "Severity", "ScreenKind", "Progress", "Badge", "PlatformRequest", "Language",
}
# Names of the core's rules and flows: an Android source that names one is deciding something itself.
# (Compose's own semantics Role.Button is not the core's Role.SUPERVISOR.)
RULE_WORDS = [
    r"\bRole\.[A-Z_]{3,}\b", r"\bShift\.", r"\bPurpose", r"\bDecision", r"\bCustody", r"\bNeedsApproval",
    r"\bHandoverFlow", r"\bApprovalInbox", r"\bSetupFlow", r"\bAuditFlow", r"\bConsentFlow",
    r"\bIncidentFlow", r"\bBoardFlow", r"\bItemKind", r"\bTraining",
]
# Kotlin lines of code (not blank, not comments) the screens may take: they draw, they do not decide.
SCREENS_MAX_LINES = 700
APP_MAX_LINES = 1200

results = []


def check(name, problems):
    results.append((name, problems))
    print(("ok   " if not problems else "FAIL ") + name)
    for problem in problems[:20]:
        print("    " + problem)


def kotlin_files(root):
    return sorted(root.rglob("*.kt"))


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def literals(text):
    """(line, literal, text before it on the line) of every string literal, templates removed."""
    for number, line in enumerate(text.splitlines(), 1):
        for match in re.finditer(r'"((?:[^"\\]|\\.)*)"', line):
            body = re.sub(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*", "", match.group(1))
            yield number, body, line[: match.start()]


def code_lines(path):
    return sum(1 for line in strip_comments(path.read_text()).splitlines() if line.strip())


# 1. The screens compile for Android and the JVM alike: no android.* API.
check(
    "screens use no Android-only API",
    [f"{p}: {l.strip()}" for p in kotlin_files(SCREENS) for l in p.read_text().splitlines()
     if re.match(r"\s*import\s+android\.", l)],
)

# 2. The screens take only the view from the bindings.
problems = []
for path in kotlin_files(SCREENS):
    for line in path.read_text().splitlines():
        m = re.match(r"\s*import\s+uniffi\.azukari_core\.(\w+|\*)", line)
        if m and m.group(1) not in VIEW_TYPES:
            problems.append(f"{path.name}: imports {m.group(1)}")
        if re.match(r"\s*import\s+uniffi\.azukari_ffi\.", line):
            problems.append(f"{path.name}: imports the FFI itself: {line.strip()}")
check("screens import only the view types of the bindings", problems)

# 3. No user-visible text in the screens: a literal there holds no letter (a testTag's name aside).
problems = []
for path in kotlin_files(SCREENS):
    for number, body, before in literals(strip_comments(path.read_text())):
        if re.search(r"[^\W\d_]", body) and not before.rstrip().endswith("testTag("):
            problems.append(f"{path.name}:{number}: \"{body}\"")
check("screens hold no user-visible string literal", problems)

# 4. No text for people anywhere in the app: no Japanese in a literal, no literal drawn or toasted.
problems = []
for path in kotlin_files(APP) + kotlin_files(SCREENS):
    for number, body, before in literals(strip_comments(path.read_text())):
        if re.search(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]", body):
            problems.append(f"{path.name}:{number}: Japanese text \"{body}\"")
        if re.search(r"(Text|makeText|setTitle|setMessage|setContentTitle|setContentText)\(\s*$", before) and body.strip():
            problems.append(f"{path.name}:{number}: a literal drawn as text \"{body}\"")
strings = ANDROID / "app/src/main/res/values/strings.xml"
names = re.findall(r'<string name="(\w+)"', strings.read_text()) if strings.exists() else []
if names != ["app_name"]:
    problems.append(f"strings.xml holds {names}: only the launcher's name belongs there")
check("Android sources hold no user-visible text (it comes from the core)", problems)

# 5. No business rule: Android sources name none of the core's rules or flows.
problems = []
for path in kotlin_files(APP) + kotlin_files(SCREENS):
    code = strip_comments(path.read_text())
    for word in RULE_WORDS:
        for number, line in enumerate(code.splitlines(), 1):
            if re.search(word, line):
                problems.append(f"{path.name}:{number}: {line.strip()}")
check("Android sources name no rule or flow of the core", problems)

# 6. Every ScreenKind has its own drawing.
frame = (SCREENS / "jp/azukari/screens/Frame.kt").read_text()
drawn = set(re.findall(r"ScreenKind\.(\w+)\s*->", frame))
expected = {"UNLOCK", "SIGN_IN", "HOME", "HANDOVER", "HOLDING", "MY_REQUESTS", "APPROVALS", "BOARD", "ALERTS",
            "AUDIT", "INCIDENT", "AGREEMENTS", "CONSENT", "SETUP", "LABELS", "SYNC", "SETTINGS"}
check("one composable per screen of the view", [f"no drawing for {k}" for k in sorted(expected - drawn)])

# 7. Size: the screens only draw, the app only bridges.
screens_lines = sum(code_lines(p) for p in kotlin_files(SCREENS))
app_lines = sum(code_lines(p) for p in kotlin_files(APP))
print(f"    Kotlin lines of code: screens {screens_lines}, app {app_lines}")
check(
    f"the Kotlin stays small (screens <= {SCREENS_MAX_LINES}, app <= {APP_MAX_LINES} lines)",
    ([f"screens: {screens_lines} lines"] if screens_lines > SCREENS_MAX_LINES else [])
    + ([f"app: {app_lines} lines"] if app_lines > APP_MAX_LINES else []),
)

passed = sum(1 for _, p in results if not p)
failed = len(results) - passed
print(f"sources: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
