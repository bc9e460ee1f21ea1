"""What can be checked of the iOS app without a Swift compiler, with tree-sitter's Swift grammar.

    python3 tests/ios/swiftcheck.py [--repo DIR] [--ios DIR] [--bindings DIR] [--test-bindings DIR]
                                    [--android-screens DIR] [--view-rs FILE] [--only CHECK]

Checks (each prints "ok" or "FAIL" with what is wrong; the last line is "N passed, M failed"):
  parse      every Swift file under ios/ parses with no ERROR or MISSING node
  bindings   every name the Swift sources take from the UniFFI bindings (types, methods, initializers, enum
             cases, properties, top-level functions) exists in the generated Swift with the same argument labels;
             classes that implement a foreign trait implement each of its methods with its labels; a switch over an
             enum of the bindings without `default` names every case; names that two
             visible modules both declare (azukari_core/azukari_ffi, or SwiftUI's Button and Section, Foundation's
             Progress) are written with their module; every capitalised name is declared somewhere known
  parity     every ScreenKind case has a SwiftUI view in ios/ and a composable in the Android screens module
  targets    every Button, Menu, text field and tap gesture of the app's sources is sized with Theme.minTouchTarget
             (44 pt)
  app-target Info.plist (Japanese NFC and camera texts, the JPKI AIDs), entitlements (NFC TAG, applinks), both
             InfoPlist.strings, and the Xcode project: it parses, names no missing object, points to no missing file
  ffi-headers the C modules of the XCFramework (ios/make-ffi-headers.sh) import with clang -fmodules, show both
             crates' functions and define RustBuffer once
  strings    no string literal in the app's Swift sources except the explicit allowlist below, and none of the
             core's rule or flow APIs, clock or calendar arithmetic used by the shell (texts and rules are the
             core's)

The generated Swift of the app's sources is bindings/generated/swift (the committed bindings); the tests under
ios/Tests also see the test-only exports, from --test-bindings (bindings generated with the feature `testing`).
"""

import argparse
import pathlib
import re
import sys

import tree_sitter
import tree_sitter_swift

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))
CORE, FFI = "azukari_core", "azukari_ffi"
BINDING_MODULES = (CORE, FFI)

# Names that SwiftUI/Foundation declare too: a file importing both must say which it means.
FRAMEWORK_CLASHES = {"Button": "SwiftUI", "Section": "SwiftUI", "Progress": "Foundation"}

# Methods of arrays whose closure takes an element.
ELEMENT_METHODS = {"contains", "first", "filter", "allSatisfy", "forEach", "firstIndex", "map", "flatMap",
                   "compactMap", "sorted", "last"}

# Keywords the grammar reads as calls.
KEYWORD_CALLS = {"defer", "super", "self", "init", "try", "await"}

# Members of Optional itself (`x?.map`, `x.flatMap`).
OPTIONAL_MEMBERS = {"map", "flatMap", "unsafelyUnwrapped", "none", "some"}

# Members every Swift value has (protocol conformances of the generated types, Error's description).
UNIVERSAL_MEMBERS = {"self", "hashValue", "hash", "description", "debugDescription", "localizedDescription",
                     "errorDescription"}

# Where the app's Swift sources may hold string literals: enums that name identifiers, each with the reason its
# strings are not texts for people. Their literals must still look like identifiers (no spaces, ASCII).
IDENTIFIER_NAMESPACES = {
    "Files": "file names and the UserDefaults key of the app",
    "KeychainIds": "Keychain service, account and Secure Enclave key tag",
    "HTTP": "HTTP method, header name and media type",
    "Locales": "locale identifiers for the system's own controls",
    "Symbols": "SF Symbol names",
    "Queues": "dispatch queue labels",
}
IDENTIFIER_SHAPE = re.compile(r"^[A-Za-z0-9._/\-]+$")
# Argument labels whose string is an identifier by the API's definition.
IDENTIFIER_LABELS = {"systemName": "SF Symbol name", "ascii": "a character code (UInt8(ascii:))"}

# The bindings' names the shell may use: the app state machine, the foreign traits and their records and errors.
# Anything else of azukari_ffi (flows, setup, rules, exports) would be the shell deciding.
SHELL_FFI_NAMES = {
    "AzukariApp", "KeyVault", "CardTransceiver", "HubConnection", "HttpHeader", "HttpResponse", "KeyVaultError",
    "CardIoError", "HubConnectionError", "AzukariError",
}
# Platform APIs that would mean the shell computes time itself (the core's clock is Asia/Tokyo and decides).
SHELL_BANNED_NAMES = {"Calendar", "DateFormatter", "ISO8601DateFormatter", "DateComponents", "TimeZone", "Date"}


# --------------------------------------------------------------------------------------------------------------
# Parsing

def parse(text):
    """Parse Swift source. UniFFI's `@_documentation(visibility: private)` is not in the grammar: blanked."""
    data = text.encode()
    data = re.sub(rb"@_documentation\(visibility: *\w+\)", lambda m: b" " * len(m.group(0)), data)
    return PARSER.parse(data)


def errors_of(tree):
    found = []

    def walk(node):
        if node.type == "ERROR" or node.is_missing:
            found.append(node)
            return
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    return found


def txt(node):
    return node.text.decode()


def named(node, *types):
    return [c for c in node.children if c.is_named and (not types or c.type in types)]


def first(node, *types):
    for c in node.children:
        if c.type in types:
            return c
    return None


def field(node, name):
    return node.child_by_field_name(name)


def line(node):
    return node.start_point[0] + 1


# --------------------------------------------------------------------------------------------------------------
# Types: ("n", module, name) | ("opt", T) | ("arr", T) | ("meta", T) | ("fn", [T], T) | None (unknown)

def unwrap(t):
    while t and t[0] == "opt":
        t = t[1]
    return t


class Sig:
    def __init__(self, labels, params, ret, kind):
        self.labels, self.params, self.ret, self.kind = tuple(labels), params, ret, kind

    def show(self, name):
        return f"{name}({''.join((l if l != '_' else '_') + ':' for l in self.labels)})"


class TypeInfo:
    def __init__(self, module, name, kind):
        self.module, self.name, self.kind = module, name, kind
        self.props, self.methods, self.statics, self.cases, self.static_props = {}, {}, {}, {}, {}
        self.inits, self.inherits, self.requirements = [], [], []


class Index:
    """Declarations of some Swift files: the bindings' (public only) or the app's own (all)."""

    def __init__(self):
        self.types = {}       # (module, name) -> TypeInfo
        self.funcs = {}       # (module, name) -> [Sig]
        self.aliases = {}     # (module, name) -> type node
        self.modules = {}     # name -> set of modules declaring it (types and functions)

    def add_name(self, module, name):
        self.modules.setdefault(name, set()).add(module)


def is_public(node):
    mods = first(node, "modifiers")
    return mods is not None and re.search(r"\b(public|open)\b", txt(mods)) is not None


def decl_kind(node):
    for c in node.children:
        if not c.is_named and c.type in ("struct", "class", "enum", "extension", "actor"):
            return c.type
    return "class"


def params_of(node):
    """[(label, type node)] of a function, initializer or protocol requirement."""
    out = []
    for p in named(node, "parameter"):
        ext = field(p, "external_name")
        names = [c for c in p.children if c.type == "simple_identifier"]
        label = txt(ext) if ext is not None else (txt(names[0]) if names else "_")
        type_node = None
        seen_colon = False
        for c in p.children:
            if not c.is_named and c.type == ":":
                seen_colon = True
            elif seen_colon and c.is_named and c.type not in ("parameter_modifiers", "attribute", "comment",
                                                                "multiline_comment"):
                type_node = c
                break
        out.append((label, type_node))
    return out


def return_node(node):
    seen = False
    for c in node.children:
        if not c.is_named and c.type == "->":
            seen = True
        elif seen and c.is_named:
            return c
    return None


def index_declarations(index, tree, module, public_only, resolve_later):
    """Collect the types, members and functions of one file into `index`."""

    def visible(node):
        return (not public_only) or is_public(node)

    def add_type(node, outer_public=True):
        kind = decl_kind(node)
        name_node = field(node, "name")
        if name_node is None:
            return
        name = txt(name_node).split("<")[0].split(".")[-1].strip()
        if kind == "extension" and public_only:
            return  # the generated Swift extends platform types and its own; neither adds API to check
        if kind == "extension":
            info = index.types.get((module, name))
            if info is None:
                info = index.types[(module, name)] = TypeInfo(module, name, "extension")
        else:
            if public_only and not is_public(node):
                return
            info = index.types.get((module, name))
            if info is None or info.kind == "extension":
                old = info
                info = index.types[(module, name)] = TypeInfo(module, name, kind)
                if old:
                    for attr in ("props", "methods", "statics", "cases", "static_props"):
                        getattr(info, attr).update(getattr(old, attr))
                    info.inits += old.inits
            index.add_name(module, name)
        for spec in named(node, "inheritance_specifier"):
            inh = field(spec, "inherits_from")
            if inh is not None:
                info.inherits.append(inh)
        body = field(node, "body")
        if body is None:
            return
        stored = []
        for member in body.children:
            if member.type == "enum_entry":
                case = txt(field(member, "name")).strip("`")
                labels, types = [], []
                data = field(member, "data_contents")
                if data is not None:
                    pending = None
                    for c in data.children:
                        if c.type == "wildcard_pattern":
                            pending = "_"
                        elif c.type == "simple_identifier":
                            pending = txt(c)
                        elif c.is_named and c.type not in ("multiline_comment", "comment"):
                            labels.append(pending or "_")
                            types.append(c)
                            pending = None
                info.cases[case] = Sig(labels, types, None, "case")
            elif member.type == "property_declaration" and visible(member):
                static = bool(first(member, "modifiers")) and re.search(r"\bstatic\b", txt(first(member, "modifiers")))
                for pat in [c for c in member.children if c.type == "pattern"]:
                    ident = field(pat, "bound_identifier")
                    if ident is None:
                        continue
                    annot = first(member, "type_annotation")
                    tnode = field(annot, "name") if annot is not None else None
                    target = info.static_props if static else info.props
                    target[txt(ident)] = Sig([], [], tnode if tnode is not None else field(member, "value"),
                                             "prop" if tnode is not None else "value")
                    if not static and field(member, "computed_value") is None:
                        has_default = field(member, "value") is not None
                        mut = first(member, "value_binding_pattern")
                        is_let = mut is not None and "let" in txt(mut)
                        if not (is_let and has_default):
                            stored.append((txt(ident), tnode, has_default))
            elif member.type in ("function_declaration", "protocol_function_declaration") and (
                    member.type == "protocol_function_declaration" or visible(member)):
                name = txt(field(member, "name"))
                ps = params_of(member)
                mods = first(member, "modifiers")
                static = mods is not None and re.search(r"\b(static|class)\b", txt(mods))
                sig = Sig([l for l, _ in ps], [t for _, t in ps], return_node(member), "method")
                (info.statics if static else info.methods).setdefault(name, []).append(sig)
                if member.type == "protocol_function_declaration":
                    info.requirements.append((name, sig))
            elif member.type == "init_declaration" and visible(member):
                ps = params_of(member)
                info.inits.append(Sig([l for l, _ in ps], [t for _, t in ps], None, "init"))
            elif member.type in ("class_declaration", "protocol_declaration"):
                (add_type if member.type == "class_declaration" else add_protocol)(member)
            elif member.type == "typealias_declaration":
                add_alias(member)
        if kind == "struct" and not any(True for _ in info.inits) and not public_only:
            # The memberwise initializer of an own struct (defaults are optional arguments).
            info.inits.append(Sig([n for n, _, _ in stored], [t for _, t, _ in stored], None, "memberwise"))
            info.memberwise_defaults = {n for n, _, d in stored if d}

    def add_protocol(node):
        if public_only and not is_public(node):
            return
        name = txt(field(node, "name"))
        info = index.types[(module, name)] = TypeInfo(module, name, "protocol")
        index.add_name(module, name)
        body = field(node, "body")
        for member in (body.children if body is not None else []):
            if member.type == "protocol_function_declaration":
                ps = params_of(member)
                sig = Sig([l for l, _ in ps], [t for _, t in ps], return_node(member), "method")
                info.methods.setdefault(txt(field(member, "name")), []).append(sig)
                info.requirements.append((txt(field(member, "name")), sig))
            elif member.type == "protocol_property_declaration":
                pat = first(member, "pattern")
                annot = first(member, "type_annotation")
                if pat is not None and field(pat, "bound_identifier") is not None:
                    info.props[txt(field(pat, "bound_identifier"))] = Sig(
                        [], [], field(annot, "name") if annot is not None else None, "prop")

    def add_alias(node):
        if public_only and not is_public(node):
            return
        names = [c for c in node.children if c.type == "type_identifier"]
        target = [c for c in node.children if c.is_named and c.type != "type_identifier" and c.type != "modifiers"]
        if names and target:
            index.aliases[(module, txt(names[0]))] = target[-1]
            index.add_name(module, txt(names[0]))

    for node in tree.root_node.children:
        if node.type == "class_declaration":
            add_type(node)
        elif node.type == "protocol_declaration":
            add_protocol(node)
        elif node.type == "function_declaration" and (not public_only or is_public(node)):
            ps = params_of(node)
            name = txt(field(node, "name"))
            index.funcs.setdefault((module, name), []).append(
                Sig([l for l, _ in ps], [t for _, t in ps], return_node(node), "func"))
            index.add_name(module, name)
        elif node.type == "typealias_declaration":
            add_alias(node)


def load_bindings(directory):
    index = Index()
    for module in BINDING_MODULES:
        path = pathlib.Path(directory) / f"{module}.swift"
        tree = parse(path.read_text())
        bad = errors_of(tree)
        if bad:
            raise SystemExit(f"{path}: the grammar cannot read the generated Swift (line {line(bad[0])})")
        index_declarations(index, tree, module, True, None)
    return index


# --------------------------------------------------------------------------------------------------------------
# The analysis of the app's sources

class Checker:
    def __init__(self, bindings, own, platform_names, path, tree, text, problems, shell):
        self.b, self.own, self.platform = bindings, own, platform_names
        self.path, self.tree, self.text, self.problems, self.shell = path, tree, text, problems, shell
        imports = {txt(n).split()[-1] for n in tree.root_node.children if n.type == "import_declaration"}
        self.imports = imports
        self.visible = [m for m in BINDING_MODULES if m in imports]
        if FFI in self.visible and CORE not in self.visible:
            self.visible.insert(0, CORE)  # azukari_ffi re-exports azukari_core
        self.frameworks = {"SwiftUI": "SwiftUI" in imports,
                           "Foundation": bool(imports & {"Foundation", "SwiftUI", "UIKit"})}
        self.checked = 0
        self.calling = False

    def fail(self, node, message):
        self.problems.append(f"{self.path}:{line(node)}: {message}")

    # -- names and types ---------------------------------------------------------------------------------------

    def lookup_name(self, name, node, as_type=True):
        """Resolve an unqualified capitalised name: own, bindings (visible modules), platform."""
        own = self.own.types.get(("own", name))
        if (own is not None and own.kind != "extension") or ("own", name) in self.own.aliases:
            return ("own", name)
        modules = [m for m in self.visible if m in self.b.modules.get(name, set())
                   and ((m, name) in self.b.types or (m, name) in self.b.aliases or (m, name) in self.b.funcs)]
        if len(modules) > 1:
            self.fail(node, f"`{name}` is declared by both {' and '.join(modules)}: write {modules[0]}.{name} "
                            f"or {modules[1]}.{name}")
        if modules:
            framework = FRAMEWORK_CLASHES.get(name)
            if framework and self.frameworks.get(framework):
                self.fail(node, f"`{name}` is both {modules[0]}.{name} and {framework}.{name} here: qualify it")
            self.note_ffi(name, modules[0], node)
            return (modules[0], name)
        if self.shell and name in SHELL_BANNED_NAMES:
            self.fail(node, f"`{name}`: the shell does no date or time arithmetic (the core's clock decides)")
            return ("platform", name)
        if name in self.platform:
            return ("platform", name)
        # A binding type that no visible module has: renamed, or its module is not imported.
        elsewhere = [m for m in BINDING_MODULES if (m, name) in self.b.types or (m, name) in self.b.funcs]
        if elsewhere:
            self.fail(node, f"`{name}` is in {elsewhere[0]}, which this file does not import")
            return (elsewhere[0], name)
        return None

    def note_ffi(self, name, module, node):
        if self.shell and module == FFI and name not in SHELL_FFI_NAMES:
            self.fail(node, f"`{name}`: the shell uses only the app state machine and the platform traits of the "
                            f"bindings, not {FFI}.{name} (a flow or rule API)")

    def type_of(self, node, module_hint=None):
        """A type node to a type, checking each name it contains."""
        if node is None:
            return None
        k = node.type
        if k == "user_type":
            ids = [c for c in node.children if c.type == "type_identifier"]
            for targs in named(node, "type_arguments"):
                for a in named(targs):
                    self.type_of(a)
            if not ids:
                return None
            if len(ids) >= 2 and txt(ids[0]) in BINDING_MODULES:
                module, name = txt(ids[0]), txt(ids[1])
                if (module, name) not in self.b.types and (module, name) not in self.b.aliases:
                    self.fail(node, f"{module}.{name} does not exist in the generated bindings")
                    return None
                self.note_ffi(name, module, node)
                self.checked += 1
                return ("n", module, name)
            if len(ids) >= 2:
                base = self.lookup_name(txt(ids[0]), ids[0]) if txt(ids[0])[:1].isupper() else None
                if base and base[0] in BINDING_MODULES:
                    return None
                return None
            name = txt(ids[0])
            if name in ("Self",) or not name[:1].isupper():
                return None
            where = self.lookup_name(name, ids[0])
            if where is None:
                self.fail(ids[0], f"unknown type `{name}` (not in the bindings, not declared in ios/, not in "
                                  f"tests/ios/platform_names.txt)")
                return None
            if where[0] == "own" and ("own", name) in self.own.aliases:
                return self.type_of(self.own.aliases[("own", name)])
            if where[0] in BINDING_MODULES:
                self.checked += 1
            return ("n", where[0], name)
        if k == "optional_type":
            return ("opt", self.type_of(field(node, "wrapped") or named(node)[0]))
        if k == "array_type":
            return ("arr", self.type_of(field(node, "name") or named(node)[0]))
        if k == "function_type":
            params = []
            ps = field(node, "params")
            if ps is not None:
                for item in named(ps, "tuple_type_item"):
                    inner = field(item, "name") or (named(item)[-1] if named(item) else None)
                    params.append(self.type_of(inner))
            return ("fn", params, self.type_of(return_node(node)))
        for c in named(node):
            self.type_of(c)
        return None

    def binding_type_of(self, node, module):
        """A type node of the generated Swift, resolved in `module` (the ffi file names core types unqualified)."""
        if node is None:
            return None
        k = node.type
        if k == "user_type":
            ids = [txt(c) for c in node.children if c.type == "type_identifier"]
            if not ids:
                return None
            name = ids[-1]
            for m in (module, CORE, FFI):
                if (m, name) in self.b.types:
                    return ("n", m, name)
            return ("n", "platform", name)
        if k == "optional_type":
            return ("opt", self.binding_type_of(field(node, "wrapped") or named(node)[0], module))
        if k == "array_type":
            return ("arr", self.binding_type_of(field(node, "name") or named(node)[0], module))
        return None

    def own_type_of(self, node):
        """A type node of the app's own declarations (names already checked where they were declared)."""
        if node is None:
            return None
        k = node.type
        if k == "user_type":
            ids = [txt(c) for c in node.children if c.type == "type_identifier"]
            if not ids:
                return None
            if len(ids) >= 2 and ids[0] in BINDING_MODULES:
                return ("n", ids[0], ids[1]) if (ids[0], ids[1]) in self.b.types else None
            name = ids[-1]
            if ("own", name) in self.own.aliases:
                return self.own_type_of(self.own.aliases[("own", name)])
            if ("own", name) in self.own.types:
                return ("n", "own", name)
            modules = [m for m in BINDING_MODULES if (m, name) in self.b.types]
            if len(modules) == 1:
                return ("n", modules[0], name)
            if modules:
                return ("n", CORE, name)
            return ("n", "platform", name)
        if k == "optional_type":
            return ("opt", self.own_type_of(field(node, "wrapped") or named(node)[0]))
        if k == "array_type":
            return ("arr", self.own_type_of(field(node, "name") or named(node)[0]))
        if k == "function_type":
            ps = field(node, "params")
            params = []
            if ps is not None:
                for item in named(ps, "tuple_type_item"):
                    inner = field(item, "name") or (named(item)[-1] if named(item) else None)
                    params.append(self.own_type_of(inner))
            return ("fn", params, self.own_type_of(return_node(node)))
        return None

    def info(self, t):
        t = unwrap(t)
        if t and t[0] == "n":
            if t[1] in BINDING_MODULES:
                return self.b.types.get((t[1], t[2]))
            if t[1] == "own":
                return self.own.types.get(("own", t[2]))
        return None

    def sig_types(self, t, sig):
        """Parameter and return types of a member signature of type `t`."""
        if t and t[1] in BINDING_MODULES:
            conv = lambda n: self.binding_type_of(n, t[1])  # noqa: E731
        else:
            conv = self.own_type_of
        return [conv(p) for p in sig.params], (conv(sig.ret) if sig.ret is not None and sig.kind != "value" else None)

    # -- members -----------------------------------------------------------------------------------------------

    def member(self, owner, name, node, static):
        """The member `name` of `owner` (a type): ("value", T) or ("call", [(Sig, params, ret)]) or None."""
        if owner and owner[0] == "opt" and name in OPTIONAL_MEMBERS:
            return None
        t = unwrap(owner)
        if t is None:
            return None
        if t[0] == "arr":
            if self.calling and name in ELEMENT_METHODS:
                return ("elementcall", t[1], name)
            if name in ("first", "last", "randomElement"):
                return ("value", ("opt", t[1]))
            if name in ("count",):
                return ("value", ("n", "platform", "Int"))
            if name in ("isEmpty",):
                return ("value", ("n", "platform", "Bool"))
            return None
        info = self.info(t)
        if info is None:
            return None
        binding = t[1] in BINDING_MODULES
        if name in UNIVERSAL_MEMBERS:
            return None
        extension = self.own.types.get(("own", t[2])) if binding else None
        if extension is not None and extension.kind == "extension" and (
                name in extension.props or name in extension.methods or name in extension.statics
                or name in extension.static_props):
            return None  # the app's own extension of a binding type
        if static:
            if name in info.cases:
                sig = info.cases[name]
                if not sig.labels:
                    return ("value", t)
                params, _ = self.sig_types(t, sig)
                return ("call", [(sig, params, t)], f"{t[2]}.{name}")
            if name in info.static_props:
                sig = info.static_props[name]
                return ("value", self.sig_types(t, sig)[1] if sig.kind == "prop" else None)
            if name in info.statics:
                sigs = info.statics[name]
                return ("call", [(s, *self.sig_types(t, s)) for s in sigs], f"{t[2]}.{name}")
            if name == "init":
                return ("call", [(s, *self.sig_types(t, s)) for s in info.inits], f"{t[2]}.init")
            if binding:
                self.fail(node, f"{t[1]}.{t[2]} has no case or static member `{name}`")
            return None
        if name in info.props:
            sig = info.props[name]
            return ("value", self.sig_types(t, sig)[1] if sig.kind == "prop" else None)
        if name in info.methods:
            return ("call", [(s, *self.sig_types(t, s)) for s in info.methods[name]], f"{t[2]}.{name}")
        if binding:
            # Protocol methods of classes (open func of the class, or its Protocol).
            self.fail(node, f"{t[1]}.{t[2]} has no member `{name}`")
        return None

    def check_call(self, callee_desc, candidates, call, env):
        """Match the arguments' labels against the candidates' signatures; check the arguments with the
        parameter types as context; return the result type."""
        args, closures = self.arguments(call)
        labels = tuple(l for l, _ in args)
        matching = [c for c in candidates if self.labels_match(c[0], labels, len(closures))]
        strict = any(c[0].kind != "memberwise" and getattr(c[0], "binding", True) for c in candidates)
        if not matching and not strict:
            self.visit_call_args(call, env)
            return None
        if not matching:
            wanted = " or ".join(c[0].show(callee_desc.split(".")[-1]) for c in candidates) or "nothing"
            self.fail(call, f"{callee_desc}({''.join(l + ':' for l in labels)}) does not match {wanted} in the "
                            f"generated bindings")
            for _, value in args:
                self.expr(value, env)
            return None
        sig, params, ret = matching[0]
        self.checked += 1
        for i, (_, value) in enumerate(args):
            self.expr(value, env, params[i] if i < len(params) else None)
        for j, closure in enumerate(closures):
            i = len(args) + j
            self.expr(closure, env, params[i] if i < len(params) else None)
        return ret

    @staticmethod
    def labels_match(sig, labels, closures):
        want = list(sig.labels)
        if sig.kind == "memberwise":
            return True
        if closures:
            want = want[: len(want) - closures]
        return tuple(want) == labels

    def arguments(self, call):
        suffix = first(call, "call_suffix")
        args, closures = [], []
        if suffix is None:
            return args, closures
        for c in suffix.children:
            if c.type == "value_arguments":
                for a in named(c, "value_argument"):
                    label = field(a, "name")
                    value = field(a, "value")
                    args.append((txt(label).rstrip(":").strip() if label is not None else "_", value))
            elif c.type == "lambda_literal":
                closures.append(c)
        return args, closures

    # -- expressions -------------------------------------------------------------------------------------------

    def expr(self, node, env, expected=None):
        if node is None:
            return None
        k = node.type
        method = getattr(self, "x_" + k, None)
        if method is not None:
            return method(node, env, expected)
        self.visit_children(node, env)
        return None

    def visit_children(self, node, env):
        for c in node.children:
            if c.is_named:
                self.stmt(c, env)

    def x_simple_identifier(self, node, env, expected):
        name = txt(node)
        if name == "Self":
            own = env.get("self")
            return ("meta", own) if own else None
        t = env.get(name)
        if t is not None:
            return t
        if name in env:
            return None
        if name[:1].isupper():
            where = self.lookup_name(name, node)
            if where is None:
                self.fail(node, f"unknown name `{name}`")
                return None
            if where[0] in BINDING_MODULES and (where[0], name) in self.b.funcs:
                return ("funcref", where[0], name)
            return ("meta", ("n", where[0], name))
        if name in BINDING_MODULES:
            return ("module", name)
        for m in self.visible:
            if (m, name) in self.b.funcs:
                self.note_ffi(name, m, node)
                return ("funcref", m, name)
        return None

    def x_navigation_expression(self, node, env, expected):
        parts = [c for c in node.children if c.is_named or c.type == "?"]
        target = next((c for c in node.children if c.is_named and node.field_name_for_child(
            node.children.index(c)) == "target"), None)
        optional = any(c.type == "?" for c in node.children if not c.is_named) or any(
            c.type == "?" and not c.is_named for c in node.children)
        suffix = field(node, "suffix")
        name_node = field(suffix, "suffix") if suffix is not None else None
        name = txt(name_node) if name_node is not None else None
        if target is None or name is None:
            self.visit_children(node, env)
            return None
        if target.type == "simple_identifier" and txt(target) in BINDING_MODULES and txt(target) not in env:
            module = txt(target)
            if (module, name) in self.b.types:
                self.note_ffi(name, module, node)
                self.checked += 1
                return ("meta", ("n", module, name))
            if (module, name) in self.b.funcs:
                self.checked += 1
                return ("funcref", module, name)
            self.fail(node, f"{module}.{name} does not exist in the generated bindings")
            return None
        calling, self.calling = self.calling, False
        base = self.expr(target, env)
        self.calling = calling
        del parts, optional
        if base is None:
            return None
        if base[0] == "result":
            return None
        if base[0] == "meta":
            m = self.member(base[1], name, node, True)
        elif base[0] in ("funcref", "module", "call", "elementcall"):
            return None
        else:
            m = self.member(base, name, node, False)
        if m is None:
            return None
        if m[0] == "value":
            t = m[1]
            if base[0] != "meta" and base[0] == "opt" and t is not None:
                t = ("opt", t)
            return t
        return m

    def x_prefix_expression(self, node, env, expected):
        op = field(node, "operation")
        target = field(node, "target")
        if op is not None and txt(op) == "." and target is not None and target.type == "simple_identifier":
            return self.implicit_member(txt(target), node, expected, call=None, env=env)
        self.visit_children(node, env)
        return None

    def implicit_member(self, name, node, expected, call, env):
        """`.name` or `.name(...)` where the type comes from the context."""
        t = unwrap(expected)
        info = self.info(t)
        if info is not None and t[1] in BINDING_MODULES:
            m = self.member(t, name, node, True)
            if m is None:
                return None
            if call is None:
                if m[0] == "call" and m[1][0][0].kind == "case":
                    self.fail(node, f"{t[1]}.{t[2]}.{name} carries values: it needs its arguments")
                self.checked += 1
                return m[1] if m[0] == "value" else None
            if m[0] != "call":
                self.fail(node, f"{t[1]}.{t[2]}.{name} takes no arguments")
                return None
            return self.check_call(f"{t[2]}.{name}", m[1], call, env)
        if call is not None and t is None:
            # No context known: if some enum of the bindings has this case, its labels must match one of them.
            candidates = []
            for (module, tname), ti in self.b.types.items():
                if module in self.visible and name in ti.cases and ti.cases[name].labels:
                    tt = ("n", module, tname)
                    candidates.append((ti.cases[name], self.sig_types(tt, ti.cases[name])[0], tt))
            if candidates:
                args, closures = self.arguments(call)
                labels = tuple(l for l, _ in args)
                fits = [c for c in candidates if self.labels_match(c[0], labels, len(closures))]
                if not fits:
                    self.check_call("." + name, candidates, call, env)
                    return None
                return self.check_call("." + name, fits, call, env)
        if call is not None:
            self.visit_call_args(call, env)
        return None

    def visit_call_args(self, call, env, params=None):
        args, closures = self.arguments(call)
        for i, (_, value) in enumerate(args):
            self.expr(value, env, params[i] if params and i < len(params) else None)
        for j, closure in enumerate(closures):
            i = len(args) + j
            self.expr(closure, env, params[i] if params and i < len(params) else None)

    def x_call_expression(self, node, env, expected):
        callee = next((c for c in node.children if c.is_named and c.type != "call_suffix"), None)
        if callee is None:
            return None
        suffix = first(node, "call_suffix")
        is_subscript = suffix is not None and any(
            c.type == "value_arguments" and txt(c).startswith("[") for c in suffix.children)
        if is_subscript:
            base = self.expr(callee, env)
            self.visit_call_args(node, env)
            b = unwrap(base)
            return b[1] if b and b[0] == "arr" else None
        if callee.type == "prefix_expression" and field(callee, "operation") is not None \
                and txt(field(callee, "operation")) == "." and field(callee, "target") is not None:
            return self.implicit_member(txt(field(callee, "target")), callee, expected, call=node, env=env)
        if callee.type == "simple_identifier" and txt(callee) in ("defer",):
            self.visit_call_args(node, env)
            return None
        if callee.type == "simple_identifier" and txt(callee) == "ForEach":
            return self.for_each(node, env)
        if callee.type == "simple_identifier" and txt(callee) == "Result":
            args, closures = self.arguments(node)
            if not args and len(closures) == 1:
                return ("result", self.closure_value(closures[0], env))
        self.calling = callee.type == "navigation_expression"
        try:
            c = self.expr(callee, env)
        finally:
            self.calling = False
        if c is None:
            params = None
            if callee.type == "simple_identifier":
                name = txt(callee)
                params = self.own_callable_params(name, env, node)
                ret = self.own_method_return(name, env, node)
                if params is None and name not in env and not self.known_function(name, env):
                    self.fail(callee, f"unknown function `{name}` (not in the bindings, not declared in ios/, not "
                                      f"in tests/ios/platform_names.txt)")
                if name == "Result":
                    pass
                self.visit_call_args(node, env, params)
                return ret
            self.visit_call_args(node, env, params)
            return None
        if c[0] == "meta":
            t = c[1]
            info = self.info(t)
            if t[1] in BINDING_MODULES and info is not None:
                if info.kind in ("enum", "protocol"):
                    self.fail(node, f"{t[1]}.{t[2]} cannot be constructed like this")
                    return None
                return self.check_call(f"{t[2]}", [(s, *self.sig_types(t, s)) for s in info.inits], node, env) \
                    and t or t
            if t[1] == "own" and info is not None and info.inits:
                params = self.sig_types(t, info.inits[0])[0] if len(info.inits) == 1 else None
                if params is not None and info.inits[0].kind == "memberwise":
                    params = self.memberwise_params(info, node)
                self.visit_call_args(node, env, params)
                return t
            self.visit_call_args(node, env)
            return t
        if c[0] == "funcref":
            module, name = c[1], c[2]
            sigs = self.b.funcs[(module, name)]
            return self.check_call(name, [(s, *self.sig_types(("n", module, name), s)) for s in sigs], node, env)
        if c[0] == "call":
            return self.check_call(c[2], c[1], node, env)
        if c[0] == "elementcall":
            element, method = c[1], c[2]
            args, closures = self.arguments(node)
            for _, value in args:
                self.expr(value, env, ("fn", [element], None) if value is not None and value.type == "lambda_literal"
                          else element)
            for closure in closures:
                self.expr(closure, env, ("fn", [element], None))
            if method in ("first", "last"):
                return ("opt", element)
            if method in ("filter", "sorted"):
                return ("arr", element)
            return None
        if c[0] == "fn":
            self.visit_call_args(node, env, c[1])
            return c[2]
        self.visit_call_args(node, env)
        return None

    def for_each(self, call, env):
        """SwiftUI's ForEach(data) { element in … } and ForEach(Array(data.enumerated()), …) { _, element in … }."""
        args, closures = self.arguments(call)
        element, enumerated = None, False
        if args:
            data = args[0][1]
            if data is not None and data.type == "call_expression" and named(data) \
                    and txt(named(data)[0]) == "Array":
                inner_args, _ = self.arguments(data)
                inner = inner_args[0][1] if inner_args else None
                if inner is not None and inner.type == "call_expression" and txt(inner).endswith(".enumerated()"):
                    nav = named(inner)[0]
                    t = unwrap(self.expr(field(nav, "target") if field(nav, "target") is not None else nav, env))
                    element, enumerated = (t[1] if t and t[0] == "arr" else None), True
            if not enumerated:
                t = unwrap(self.expr(data, env))
                element = t[1] if t and t[0] == "arr" else None
            for _, value in args[1:]:
                self.expr(value, env)
        params = [("n", "platform", "Int"), element] if enumerated else [element]
        for closure in closures:
            self.expr(closure, env, ("fn", params, None))
        return None

    def closure_value(self, closure, env):
        """The type of a one-expression closure's value (`Result { try app.view() }`)."""
        self.expr(closure, env)
        body = next((c for c in named(closure) if c.type == "statements"), None)
        exprs = named(body) if body is not None else []
        if len(exprs) != 1:
            return None
        quiet = Checker.__new__(Checker)
        quiet.__dict__.update(self.__dict__)
        quiet.problems = []
        return quiet.expr(exprs[0], env.child())

    def memberwise_params(self, info, call):
        """Parameter types of an own struct's memberwise init, by the labels used."""
        sig = info.inits[0]
        by_label = dict(zip(sig.labels, sig.params))
        args, closures = self.arguments(call)
        out = [self.own_type_of(by_label.get(l)) for l, _ in args]
        rest = [self.own_type_of(p) for l, p in zip(sig.labels, sig.params) if l not in {a for a, _ in args}]
        return out + rest[-len(closures):] if closures else out

    def known_function(self, name, env):
        """A free function or an implicit-self method the app's sources or the platform declare."""
        if name in self.platform or name in KEYWORD_CALLS:
            return True
        if any(fname == name for (_, fname) in self.own.funcs):
            return True
        selft = unwrap(env.get("self"))
        info = self.info(selft) if selft else None
        if info is not None and (name in info.methods or name in info.statics):
            return True
        return any(name in ti.methods for ti in self.own.types.values())

    def own_method_return(self, name, env, call):
        """The return type of an own method called with implicit self, if its labels pick one."""
        selft = env.get("self")
        info = self.info(selft) if selft else None
        if info is None or name not in info.methods:
            return None
        args, closures = self.arguments(call)
        labels = tuple(l for l, _ in args)
        for sig in info.methods[name]:
            if self.labels_match(sig, labels, len(closures)):
                return self.own_type_of(sig.ret) if sig.ret is not None else None
        return None

    def own_callable_params(self, name, env, call):
        """Parameter types of an own function or method called unqualified (implicit self), if known."""
        selft = env.get("self")
        info = self.info(selft) if selft else None
        if info is not None and name in info.methods:
            args, closures = self.arguments(call)
            labels = tuple(l for l, _ in args)
            for s in info.methods[name]:
                if self.labels_match(s, labels, len(closures)):
                    return [self.own_type_of(p) for p in s.params]
        for (module, fname), sigs in self.own.funcs.items():
            if fname == name:
                return [self.own_type_of(p) for p in sigs[0].params]
        return None

    def x_equality_expression(self, node, env, expected):
        lhs, rhs = field(node, "lhs"), field(node, "rhs")
        lt = self.expr(lhs, env) if lhs is not None and lhs.type != "prefix_expression" else None
        rt = self.expr(rhs, env, lt) if rhs is not None else None
        if lhs is not None and lhs.type == "prefix_expression":
            self.expr(lhs, env, rt)
        return ("n", "platform", "Bool")

    def x_self_expression(self, node, env, expected):
        return env.get("self")

    def x_try_expression(self, node, env, expected):
        return self.expr(field(node, "expr"), env, expected)

    def x_await_expression(self, node, env, expected):
        return self.expr(field(node, "expr") or named(node)[-1], env, expected)

    def x_parenthesized_expression(self, node, env, expected):
        inner = named(node)
        return self.expr(inner[0], env, expected) if inner else None

    def x_postfix_expression(self, node, env, expected):
        inner = named(node)
        t = self.expr(inner[0], env) if inner else None
        if txt(node).endswith("!") and t:
            return unwrap(t)
        return t

    def x_ternary_expression(self, node, env, expected):
        self.expr(field(node, "condition"), env)
        a = self.expr(field(node, "if_true"), env, expected)
        b = self.expr(field(node, "if_false"), env, expected)
        return a or b

    def x_nil_coalescing_expression(self, node, env, expected):
        values = named(node)
        t = None
        for v in values:
            t = self.expr(v, env, expected) or t
        return unwrap(t)

    def x_array_literal(self, node, env, expected):
        element = expected[1] if expected and expected[0] == "arr" else None
        for c in named(node):
            self.expr(c, env, element)
        return expected

    def x_as_expression(self, node, env, expected):
        self.expr(field(node, "expr"), env)
        t = self.type_of(field(node, "name"))
        return t

    def x_lambda_literal(self, node, env, expected):
        inner = env.child()
        params = expected[1] if expected and expected[0] == "fn" else []
        ftype = field(node, "type")
        names = []
        if ftype is not None:
            for p in ftype.children:
                if p.type == "lambda_function_type_parameters":
                    for lp in named(p, "lambda_parameter"):
                        n = field(lp, "name")
                        if n is not None:
                            names.append(txt(n))
        for i, n in enumerate(names):
            inner.set(n, params[i] if i < len(params) else None)
        for i in range(4):
            inner.set(f"${i}", params[i] if i < len(params) else None)
        for c in named(node):
            if c.type == "statements":
                self.block(c, inner)
        return None

    def x_line_string_literal(self, node, env, expected):
        for c in named(node):
            if c.type == "interpolated_expression":
                for v in named(c):
                    self.expr(v, env)
        return ("n", "platform", "String")

    x_multi_line_string_literal = x_line_string_literal

    # -- statements --------------------------------------------------------------------------------------------

    def block(self, node, env):
        for c in node.children:
            if c.is_named:
                self.stmt(c, env)

    def stmt(self, node, env):
        k = node.type
        if k == "property_declaration":
            annot = first(node, "type_annotation")
            t = self.type_of(field(annot, "name")) if annot is not None else None
            value = field(node, "value")
            computed = field(node, "computed_value")
            vt = self.expr(value, env, t) if value is not None else None
            if computed is not None:
                self.block_any(computed, env.child())
            for pat in [c for c in node.children if c.type == "pattern"]:
                ident = field(pat, "bound_identifier")
                if ident is not None:
                    env.set(txt(ident), t or vt)
            return
        if k in ("function_declaration", "init_declaration"):
            name_node = field(node, "name")
            if k == "function_declaration" and name_node is not None:
                env.names.add(txt(name_node))
            self.function(node, env)
            return
        if k in ("class_declaration",):
            self.type_decl(node, env)
            return
        if k == "protocol_declaration":
            self.type_decl(node, env)
            return
        if k == "for_statement":
            coll = self.expr(field(node, "collection"), env)
            inner = env.child()
            item = field(node, "item")
            element = unwrap(coll)[1] if unwrap(coll) and unwrap(coll)[0] == "arr" else None
            if item is not None:
                ident = field(item, "bound_identifier")
                if ident is not None:
                    inner.set(txt(ident), element)
                else:
                    for sub in item.children:
                        for n in self.bound_names(sub):
                            inner.set(n, None)
            for c in named(node):
                if c.type == "statements":
                    self.block(c, inner)
            return
        if k in ("if_statement", "guard_statement", "while_statement"):
            self.conditional(node, env)
            return
        if k == "switch_statement":
            subject = self.expr(field(node, "expr"), env)
            covered, catch_all = set(), False
            for entry in named(node, "switch_entry"):
                inner = env.child()
                if first(entry, "default_keyword") is not None:
                    catch_all = True
                for sp in named(entry, "switch_pattern"):
                    for pat in named(sp, "pattern"):
                        self.pattern(pat.children, subject, inner, pat)
                        name = self.case_name(pat)
                        if name is None:
                            catch_all = True
                        else:
                            covered.add(name)
                for c in named(entry):
                    if c.type == "statements":
                        self.block(c, inner)
            self.exhaustive(node, subject, covered, catch_all)
            return
        if k == "assignment":
            target = field(node, "target")
            tt = None
            if target is not None:
                inner = named(target)
                tt = self.expr(inner[0], env) if inner else None
            self.expr(field(node, "result"), env, tt)
            return
        if k == "control_transfer_statement":
            for c in named(node):
                self.expr(c, env, env.get("$return"))
            return
        if k in ("statements", "function_body", "computed_property", "do_statement", "catch_block"):
            inner = env.child()
            if k == "catch_block":
                inner.set("error", ("n", "platform", "Error"))
            self.block_any(node, inner)
            return
        if k in ("typealias_declaration",):
            return
        self.expr(node, env)

    @staticmethod
    def case_name(pat):
        """The case a switch pattern names (through `.some(…)` and `?`), or None for a pattern matching all."""
        names = [c for c in pat.children if c.type == "simple_identifier"]
        dotted = any(not c.is_named and c.type == "." for c in pat.children)
        if not dotted or not names:
            return None
        name = txt(names[0])
        if name == "some":
            inner = next((c for c in pat.children if c.type == "pattern"), None)
            return Checker.case_name(inner) if inner is not None else None
        return name

    def exhaustive(self, node, subject, covered, catch_all):
        """A switch over an enum of the bindings without `default` names every case (a case added to the core
        must fail here, as it would fail the Swift compiler)."""
        if catch_all or subject is None:
            return
        t = unwrap(subject)
        info = self.info(t)
        if info is None or t[1] not in BINDING_MODULES or info.kind != "enum":
            return
        missing = [c for c in info.cases if c not in covered]
        if subject[0] == "opt" and "none" not in covered:
            missing.append("none")
        if missing:
            self.fail(node, f"switch over {t[1]}.{t[2]} misses {', '.join('.' + m for m in missing)} (no default)")
        else:
            self.checked += 1

    def block_any(self, node, env):
        for c in node.children:
            if c.is_named:
                self.stmt(c, env)

    def conditional(self, node, env):
        inner = env.child()
        clauses, current = [], []
        body = []
        for c in node.children:
            if c.type in ("if", "guard", "while", "else"):
                continue
            if c.type in ("statements",) or c.type == "else" or (c.type == "if_statement"):
                body.append(c)
                continue
            if not c.is_named and c.type == ",":
                clauses.append(current)
                current = []
                continue
            if not c.is_named and c.type in ("{", "}"):
                continue
            current.append(c)
        if current:
            clauses.append(current)
        for clause in clauses:
            self.condition(clause, inner)
        guard = node.type == "guard_statement"
        for b in body:
            if b.type == "if_statement":
                self.stmt(b, env)
            else:
                self.block(b, env.child() if guard else inner)
        if guard:
            for n, t in inner.vars.items():
                env.set(n, t)

    def condition(self, nodes, env):
        if not nodes:
            return
        kinds = [n.type for n in nodes]
        if kinds[0] == "case":
            eq = next((i for i, n in enumerate(nodes) if n.type == "="), None)
            if eq is None:
                return
            subject = self.expr(nodes[eq + 1], env) if eq + 1 < len(nodes) else None
            self.pattern(nodes[1:eq], subject, env, nodes[0])
            return
        if kinds[0] == "value_binding_pattern":
            ident = next((n for n in nodes if n.type == "simple_identifier"), None)
            eq = next((i for i, n in enumerate(nodes) if n.type == "="), None)
            if eq is not None and eq + 1 < len(nodes):
                t = self.expr(nodes[eq + 1], env)
            else:
                t = env.get(txt(ident)) if ident is not None else None
            if ident is not None:
                env.set(txt(ident), unwrap(t))
            return
        for n in nodes:
            if n.is_named:
                self.expr(n, env)

    def bound_names(self, node):
        out = []
        if node.type == "simple_identifier":
            return [txt(node)]
        b = field(node, "bound_identifier") if node.is_named else None
        if b is not None:
            out.append(txt(b))
        for c in node.children:
            if c.type == "pattern":
                out += self.bound_names(c)
        return out

    def pattern(self, nodes, subject, env, at):
        """A case pattern (`.name(let a, label: let b)?`, `Type.name(...)`, `let x`) against `subject`."""
        nodes = list(nodes)
        explicit = None
        name = None
        args = []
        optional = False
        pending = None
        saw_dot = False
        for n in nodes:
            if n.type == "user_type" and name is None:
                explicit = self.type_of(n)
            elif not n.is_named and n.type == ".":
                saw_dot = True
            elif n.type == "simple_identifier":
                if name is None and saw_dot:
                    name = txt(n)
                elif name is not None:
                    pending = txt(n)
                else:
                    env.set(txt(n), subject)
            elif n.type == "pattern":
                args.append((pending, n))
                pending = None
            elif not n.is_named and n.type == "?":
                optional = True
            elif n.type == "bound_identifier" or (n.type == "value_binding_pattern"):
                continue
        if name is None:
            ident = next((n for n in nodes if n.type == "simple_identifier"), None)
            for n in nodes:
                b = n if n.type == "simple_identifier" else None
                if b is not None:
                    env.set(txt(b), subject)
            bound = [n for n in nodes if n.is_named and n.type not in ("value_binding_pattern",)]
            if not bound and at is not None:
                bi = field(at, "bound_identifier") if at.is_named else None
                if bi is not None:
                    env.set(txt(bi), subject)
            del ident
            for n in nodes:
                if n.is_named and n.type == "pattern":
                    for bn in self.bound_names(n):
                        env.set(bn, None)
            return
        t = explicit[1] if explicit and explicit[0] == "meta" else explicit
        if t is None and subject and subject[0] == "result" and name in ("success", "failure"):
            bound = subject[1] if name == "success" else ("n", "platform", "Error")
            for _, sub in args:
                for bn in self.bound_names(sub):
                    env.set(bn, bound)
            return
        if t is None:
            t = subject
            if optional and t and t[0] == "opt":
                t = t[1]
            if name == "none" and t and t[0] == "opt":
                return
            if name == "some" and t and t[0] == "opt":
                if args:
                    inner = args[0][1]
                    self.pattern(inner.children, t[1], env, inner)
                return
            t = unwrap(t)
        info = self.info(t)
        payload = None
        if info is not None and t[1] in BINDING_MODULES:
            if name not in info.cases:
                self.fail(at, f"{t[1]}.{t[2]} has no case `{name}`")
            else:
                self.checked += 1
                sig = info.cases[name]
                payload = self.sig_types(t, sig)[0]
                if args and len(args) != len(sig.labels):
                    self.fail(at, f"{t[1]}.{t[2]}.{name} carries {len(sig.labels)} value(s), the pattern binds "
                                  f"{len(args)}")
                for i, (label, _) in enumerate(args):
                    if label is not None and i < len(sig.labels) and sig.labels[i] != label:
                        self.fail(at, f"{t[1]}.{t[2]}.{name}: label `{label}:` is `{sig.labels[i]}:` in the "
                                      f"generated bindings")
        for i, (_, sub) in enumerate(args):
            pt = payload[i] if payload and i < len(payload) else None
            has_case = any((not c.is_named and c.type == ".") for c in sub.children)
            if has_case:
                self.pattern(sub.children, pt, env, sub)
            else:
                for bn in self.bound_names(sub):
                    env.set(bn, pt)
                for c in sub.children:
                    if c.is_named and c.type not in ("simple_identifier", "value_binding_pattern", "pattern",
                                                     "wildcard_pattern"):
                        self.expr(c, env, pt)

    # -- declarations ------------------------------------------------------------------------------------------

    def function(self, node, env):
        inner = env.child()
        for label, tnode in params_of(node):
            pass
        for p in named(node, "parameter"):
            names = [c for c in p.children if c.type == "simple_identifier"]
            ext = field(p, "external_name")
            local = names[-1] if names else None
            if ext is not None and names and names[0] == ext:
                local = names[-1]
            tnode = None
            seen = False
            for c in p.children:
                if not c.is_named and c.type == ":":
                    seen = True
                elif seen and c.is_named and c.type not in ("parameter_modifiers", "attribute"):
                    tnode = c
                    break
            t = self.type_of(tnode)
            if local is not None:
                inner.set(txt(local), t)
        ret = return_node(node)
        inner.set("$return", self.type_of(ret) if ret is not None else None)
        for c in named(node):
            if c.type == "function_body":
                self.block_any(c, inner)
            elif c.type in ("parameter",):
                for v in named(c):
                    if c.field_name_for_child(c.children.index(v)) == "default_value":
                        self.expr(v, inner)

    def type_decl(self, node, env):
        name_node = field(node, "name")
        name = txt(name_node).split("<")[0].strip() if name_node is not None else None
        kind = decl_kind(node) if node.type == "class_declaration" else "protocol"
        inner = env.child()
        if name:
            if kind == "extension":
                t = self.type_of(name_node) if name_node.type == "user_type" else None
                inner.set("self", t or ("n", "own", name.split(".")[-1]))
            else:
                inner.set("self", ("n", "own", name))
        info = self.own.types.get(("own", name.split(".")[-1])) if name else None
        if info is not None:
            for pname, sig in info.props.items():
                inner.set(pname, self.own_type_of(sig.ret) if sig.kind == "prop" else None)
            for pname in info.methods:
                inner.names.add(pname)
            for pname in list(info.statics) + list(info.static_props):
                inner.names.add(pname)
        for spec in named(node, "inheritance_specifier"):
            inh = field(spec, "inherits_from")
            t = self.type_of(inh)
            if t and t[1] in BINDING_MODULES and info is not None:
                self.conformance(node, t, info)
        body = field(node, "body")
        if body is None:
            return
        for member in body.children:
            if member.is_named:
                self.stmt(member, inner)

    def conformance(self, node, t, info):
        proto = self.b.types.get((t[1], t[2]))
        if proto is None or proto.kind != "protocol":
            return
        for name, sig in proto.requirements:
            ours = info.methods.get(name, [])
            if not any(tuple(s.labels) == tuple(sig.labels) for s in ours):
                have = ", ".join(s.show(name) for s in ours) or "none"
                self.fail(node, f"{info.name} implements {t[1]}.{t[2]} but not {sig.show(name)} (it has {have})")
            else:
                self.checked += 1

    def run(self):
        env = Env()
        for node in self.tree.root_node.children:
            if node.is_named and node.type != "import_declaration":
                self.stmt(node, env)


class Env:
    def __init__(self, parent=None):
        self.parent, self.vars, self.names = parent, {}, set()

    def child(self):
        return Env(self)

    def set(self, name, t):
        self.vars[name] = t

    def get(self, name):
        e = self
        while e is not None:
            if name in e.vars:
                return e.vars[name]
            e = e.parent
        return None

    def __contains__(self, name):
        e = self
        while e is not None:
            if name in e.vars or name in e.names:
                return True
            e = e.parent
        return False



# --------------------------------------------------------------------------------------------------------------
# Checks

def swift_files(ios):
    out = []
    for p in sorted(pathlib.Path(ios).rglob("*.swift")):
        rel = p.relative_to(ios).as_posix()
        if rel.startswith((".build/", "Frameworks/")) or re.match(r"Generated/[^/]+/azukari_(core|ffi)\.swift$", rel):
            continue  # build output and the copies of the generated bindings (checked where they are made)
        out.append(p)
    return out


def check_parse(ios):
    problems = []
    files = swift_files(ios)
    for p in files:
        tree = parse(p.read_text())
        for bad in errors_of(tree)[:5]:
            kind = "missing " + bad.type if bad.is_missing else "cannot parse"
            snippet = txt(bad).splitlines()[0][:60] if txt(bad) else ""
            problems.append(f"{p}:{line(bad)}:{bad.start_point[1] + 1}: {kind} {snippet!r}")
    return problems, f"{len(files)} Swift files"


def check_bindings(ios, bindings_dir, test_bindings_dir, platform_file):
    platform = {l.split("#")[0].strip() for l in pathlib.Path(platform_file).read_text().splitlines()}
    platform.discard("")
    app_index = load_bindings(bindings_dir)
    test_index = load_bindings(test_bindings_dir) if test_bindings_dir else None
    problems = []
    files = swift_files(ios)
    trees = {p: parse(p.read_text()) for p in files}
    own = Index()
    for p, tree in trees.items():
        if "/Generated/" in p.as_posix():
            continue
        index_declarations(own, tree, "own", False, None)
    for info in own.types.values():
        for sig in [*info.inits, *info.cases.values(), *info.props.values(), *info.static_props.values(),
                    *[s for sigs in info.methods.values() for s in sigs],
                    *[s for sigs in info.statics.values() for s in sigs]]:
            sig.binding = False
    for sigs in own.funcs.values():
        for sig in sigs:
            sig.binding = False
    checked = 0
    unchecked_tests = []
    for p, tree in trees.items():
        rel = p.relative_to(ios).as_posix()
        if rel.startswith("Generated/") or rel == "Package.swift":
            continue
        is_test = rel.startswith("Tests/")
        if is_test and test_index is None:
            unchecked_tests.append(rel)
            continue
        index = test_index if is_test else app_index
        checker = Checker(index, own, platform, p, tree, p.read_text(), problems, shell=not is_test)
        checker.run()
        checked += checker.checked
    if unchecked_tests:
        problems.append(f"the tests were not checked: no --test-bindings (bindings generated with the feature "
                        f"`testing`) for {', '.join(unchecked_tests)}")
    return problems, f"{checked} uses of the bindings checked"


def screen_kinds(view_rs, bindings_dir):
    text = pathlib.Path(view_rs).read_text()
    m = re.search(r"pub enum ScreenKind \{(.*?)\n\}", text, re.S)
    body = re.sub(r"///[^\n]*", "", m.group(1)) if m else ""
    kinds = re.findall(r"^\s*([A-Z]\w*)\s*,", body, re.M)
    generated = pathlib.Path(bindings_dir, f"{CORE}.swift").read_text()
    g = re.search(r"public enum ScreenKind\b.*?\n\}", generated, re.S)
    cases = re.findall(r"^\s*case\s+`?(\w+)`?\s*$", g.group(0), re.M) if g else []
    return kinds, cases


def check_parity(ios, android_screens, view_rs, bindings_dir):
    problems = []
    kinds, cases = screen_kinds(view_rs, bindings_dir)
    if not kinds:
        return [f"{view_rs}: no ScreenKind variants found"], ""
    lower = [k[0].lower() + k[1:] for k in kinds]
    if lower != cases:
        problems.append(f"the generated ScreenKind ({cases}) is not core/src/app/view.rs's ({kinds}): regenerate")
    swift_views = set()
    for p in swift_files(ios):
        if p.relative_to(ios).as_posix().startswith("Sources/"):
            swift_views |= set(re.findall(r"\bstruct\s+(\w+Screen)\s*:\s*View\b", p.read_text()))
    kotlin = set()
    android = pathlib.Path(android_screens)
    for p in sorted(android.rglob("*.kt")) if android.exists() else []:
        text = p.read_text()
        for name in re.findall(r"@Composable\s+(?:(?:private|internal|public)\s+)?fun\s+(\w+Screen)\s*\(", text):
            kotlin.add(name)
    missing_swift = [k + "Screen" for k in kinds if k + "Screen" not in swift_views]
    missing_kotlin = [k + "Screen" for k in kinds if k + "Screen" not in kotlin]
    if missing_swift:
        problems.append(f"no SwiftUI view (struct …Screen: View) in {ios}/Sources for: {', '.join(missing_swift)}")
    if missing_kotlin:
        problems.append(f"no Android composable (@Composable fun …Screen) in {android} for: "
                        f"{', '.join(missing_kotlin)}")
    extra = sorted(swift_views - {k + "Screen" for k in kinds})
    if extra:
        problems.append(f"SwiftUI screens without a ScreenKind: {', '.join(extra)}")
    return problems, f"{len(kinds)} screens"


def module_headers(headers_dir):
    """{C module: [its headers]} of a module.modulemap."""
    text = pathlib.Path(headers_dir, "module.modulemap").read_text()
    return {m.group(1): re.findall(r'header\s+"([^"]+)"', m.group(2))
            for m in re.finditer(r"module\s+(\w+)\s*\{(.*?)\n\}", text, re.S)}


def check_ffi_layout(headers_dir):
    """The C modules the generated Swift imports compile with clang's modules, show both crates' functions, and
    define RustBuffer once: each module's translation unit is preprocessed and the definitions counted."""
    import subprocess
    import shutil
    problems = []
    clang = shutil.which("clang")
    if clang is None:
        return ["clang is not installed (scripts/ios-check installs Debian's clang)"]
    modules = module_headers(headers_dir)
    for needed in ("azukari_coreFFI", "azukari_ffiFFI"):
        if needed not in modules:
            problems.append(f"module.modulemap declares no module {needed} (the generated Swift imports it)")
    definitions = set()
    for module, headers in modules.items():
        for header in headers:
            out = subprocess.run([clang, "-E", "-P", "-x", "c", str(pathlib.Path(headers_dir, header))],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                problems.append(f"{module}: {header} does not preprocess: {out.stderr.strip()[:300]}")
                continue
            # A shim that includes another module's header imports that module under -fmodules: the definitions
            # it shows are that module's, not its own.
            if any(f'#include "{h2}"' in pathlib.Path(headers_dir, header).read_text()
                   for m2, hs in modules.items() if m2 != module for h2 in hs):
                continue
            if "typedef struct RustBuffer" in out.stdout:
                definitions.add(module)
    if len(definitions) != 1:
        problems.append(f"RustBuffer is defined in {len(definitions)} C modules ({', '.join(sorted(definitions))}):"
                        f" Swift would see {len(definitions)} different types (azukari_ffi.swift passes its "
                        f"buffers to azukari_core.swift's converters)")
    probe = pathlib.Path(headers_dir, "probe.m")
    probe.write_text("@import azukari_coreFFI;\n@import azukari_ffiFFI;\n"
                     "RustBuffer pass(RustBuffer b) { return b; }\n"
                     "void probe(void) { (void)ffi_azukari_core_rustbuffer_alloc; "
                     "(void)ffi_azukari_ffi_rustbuffer_alloc; }\n")
    out = subprocess.run([clang, "-fmodules", f"-fmodules-cache-path={headers_dir}/.cache", "-I", str(headers_dir),
                          "-fsyntax-only", str(probe)], capture_output=True, text=True)
    probe.unlink()
    if out.returncode != 0:
        problems.append(f"importing azukari_coreFFI and azukari_ffiFFI fails: {out.stderr.strip()[:500]}")
    return problems


TAPPABLE_CALLS = {"Button", "SwiftUI.Button", "Menu", "TextField", "SecureField"}


def check_targets(ios):
    """Everything tappable in the app's sources is drawn at least 44 pt high: each Button, Menu, text field and
    tap gesture lies in a declaration that sizes it with Theme.minTouchTarget."""
    problems = []
    count = 0
    for p in swift_files(ios):
        if not p.relative_to(ios).as_posix().startswith("Sources/"):
            continue
        tree = parse(p.read_text())

        def enclosing(node):
            n = node.parent
            while n is not None and n.type not in ("function_declaration", "property_declaration",
                                                   "init_declaration"):
                n = n.parent
            return n

        def walk(node):
            nonlocal count
            tappable = None
            if node.type == "call_expression" and named(node):
                callee = txt(named(node)[0])
                if callee in TAPPABLE_CALLS:
                    tappable = callee
                elif named(node)[0].type == "navigation_expression" and callee.endswith(".onTapGesture"):
                    tappable = "onTapGesture"
            if tappable:
                count += 1
                decl = enclosing(node)
                if decl is None or "minTouchTarget" not in txt(decl):
                    problems.append(f"{p}:{line(node)}: {tappable} without Theme.minTouchTarget in its declaration "
                                    f"(tap targets are at least 44 pt)")
            for c in node.children:
                walk(c)

        walk(tree.root_node)
    return problems, f"{count} tappable views"


# What the app target must declare (Info.plist, entitlements), with why.
JPKI_AIDS = ["D392F000260100000001", "D3921000310001010100"]  # the JPKI AP and the common card AP the core selects


def parse_pbxproj(text):
    """An old-style (OpenStep) property list, as Xcode writes project.pbxproj: dicts, arrays, strings."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"^//[^\n]*", " ", text)
    tokens = re.findall(r'"(?:[^"\\]|\\.)*"|[{}();=,]|[^\s{}();=,"]+', text)
    pos = 0

    def value():
        nonlocal pos
        tok = tokens[pos]
        pos += 1
        if tok == "{":
            out = {}
            while tokens[pos] != "}":
                key = value()
                if tokens[pos] != "=":
                    raise ValueError(f"expected = after {key!r}, found {tokens[pos]!r}")
                pos += 1
                out[key] = value()
                if tokens[pos] != ";":
                    raise ValueError(f"expected ; after the value of {key!r}, found {tokens[pos]!r}")
                pos += 1
            pos += 1
            return out
        if tok == "(":
            out = []
            while tokens[pos] != ")":
                out.append(value())
                if tokens[pos] == ",":
                    pos += 1
            pos += 1
            return out
        if tok.startswith('"'):
            return tok[1:-1]
        if tok in "{}();=,":
            raise ValueError(f"unexpected {tok!r}")
        return tok

    result = value()
    if pos != len(tokens):
        raise ValueError("text after the root dictionary")
    return result


def check_app_target(ios):
    """The app target: Info.plist and entitlements carry what CoreNFC, the camera and label links need, in
    Japanese first; the Xcode project parses, every object it names exists and every file it points to is there."""
    import plistlib
    problems = []
    app = pathlib.Path(ios, "App")
    info_path, ent_path = app / "Azukari/Info.plist", app / "Azukari/Azukari.entitlements"
    try:
        info = plistlib.loads(info_path.read_bytes())
        ent = plistlib.loads(ent_path.read_bytes())
    except Exception as e:  # noqa: BLE001 - any unreadable plist is the finding
        return [f"{app}: Info.plist or the entitlements do not read: {e}"], ""
    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    for key in ("NFCReaderUsageDescription", "NSCameraUsageDescription"):
        if not japanese.search(str(info.get(key, ""))):
            problems.append(f"{info_path}: {key} must be there, in Japanese")
    aids = info.get("com.apple.developer.nfc.readersession.iso7816.select-identifiers", [])
    for aid in JPKI_AIDS:
        if aid not in aids:
            problems.append(f"{info_path}: the ISO 7816 select identifiers lack {aid} (the core selects it)")
    if info.get("CFBundleDevelopmentRegion") != "ja":
        problems.append(f"{info_path}: CFBundleDevelopmentRegion is not ja (Japanese first)")
    if "TAG" not in ent.get("com.apple.developer.nfc.readersession.formats", []):
        problems.append(f"{ent_path}: no NFC TAG reader session format (NFCTagReaderSession needs it)")
    if not any(str(d).startswith("applinks:") for d in ent.get("com.apple.developer.associated-domains", [])):
        problems.append(f"{ent_path}: no applinks: associated domain (locker labels open the app)")
    strings = {}
    for lang in ("ja", "en"):
        f = app / f"Azukari/{lang}.lproj/InfoPlist.strings"
        strings[lang] = set(re.findall(r'^"([^"]+)"\s*=', f.read_text(), re.M)) if f.exists() else set()
        for key in ("CFBundleDisplayName", "NFCReaderUsageDescription", "NSCameraUsageDescription"):
            if key not in strings[lang]:
                problems.append(f"{f}: no {key}")
    project = app / "Azukari.xcodeproj/project.pbxproj"
    try:
        pbx = parse_pbxproj(project.read_text())
    except (ValueError, IndexError) as e:
        return problems + [f"{project}: does not parse: {e}"], ""
    objects = pbx.get("objects", {})
    if pbx.get("rootObject") not in objects:
        problems.append(f"{project}: rootObject is not an object of the project")

    def refs(value):
        if isinstance(value, dict):
            for v in value.values():
                yield from refs(v)
        elif isinstance(value, list):
            for v in value:
                yield from refs(v)
        elif isinstance(value, str) and re.fullmatch(r"[0-9A-F]{24}", value):
            yield value

    for oid, obj in objects.items():
        for ref in refs(obj):
            if ref not in objects:
                problems.append(f"{project}: {obj.get('isa')} {oid} names {ref}, which is not in the project")
    parents = {}
    for oid, obj in objects.items():
        for child in obj.get("children", []) if isinstance(obj, dict) else []:
            parents[child] = oid

    def path_of(oid):
        parts = []
        while oid is not None:
            obj = objects.get(oid, {})
            if obj.get("sourceTree") not in (None, "<group>"):
                return None
            if obj.get("path") and obj.get("isa") != "PBXVariantGroup":
                parts.append(obj["path"])
            oid = parents.get(oid)
        return app.joinpath(*reversed(parts)) if parts else None

    for oid, obj in objects.items():
        if obj.get("isa") == "PBXFileReference":
            where = path_of(oid)
            if where is not None and not where.exists():
                problems.append(f"{project}: {obj.get('path')} points to {where}, which does not exist")
        if obj.get("isa") == "XCBuildConfiguration":
            settings = obj.get("buildSettings", {})
            for key in ("INFOPLIST_FILE", "CODE_SIGN_ENTITLEMENTS"):
                if key in settings and not (app / settings[key]).exists():
                    problems.append(f"{project}: {key} = {settings[key]} does not exist")
        if obj.get("isa") == "XCLocalSwiftPackageReference":
            if not (app / obj.get("relativePath", "") / "Package.swift").exists():
                problems.append(f"{project}: the local package {obj.get('relativePath')} has no Package.swift")
    return problems, "Info.plist, entitlements, Azukari.xcodeproj"


def literal_text(node):
    parts = []
    for c in node.children:
        if c.type in ("line_str_text", "multi_line_str_text", "str_escaped_char"):
            parts.append(txt(c))
    return "".join(parts)


def enclosing_namespace(node):
    """The name of the identifier enum (IDENTIFIER_NAMESPACES) that declares this literal, if any."""
    n = node.parent
    while n is not None:
        if n.type == "class_declaration" and decl_kind(n) == "enum":
            name = field(n, "name")
            return txt(name) if name is not None and txt(name) in IDENTIFIER_NAMESPACES else None
        n = n.parent
    return None


def check_strings(ios):
    problems = []
    count = 0
    for p in swift_files(ios):
        rel = p.relative_to(ios).as_posix()
        if not rel.startswith(("Sources/", "App/")):
            continue
        tree = parse(p.read_text())

        def walk(node):
            nonlocal count
            if node.type in ("line_string_literal", "multi_line_string_literal", "raw_string_literal"):
                count += 1
                value = literal_text(node)
                if value.strip() == "" and not any(c.type == "line_str_text" and c.text.strip()
                                                   for c in node.children):
                    return
                if enclosing_namespace(node) and IDENTIFIER_SHAPE.match(value):
                    return
                arg = node.parent
                while arg is not None and arg.type == "ternary_expression":
                    arg = arg.parent
                if arg is not None and arg.type == "value_argument":
                    label = field(arg, "name")
                    if label is not None and txt(label).rstrip(":").strip() in IDENTIFIER_LABELS:
                        return
                problems.append(f"{p}:{line(node)}: string literal {txt(node)!r}: texts come from the core's view "
                                f"(identifiers belong in one of the enums {', '.join(IDENTIFIER_NAMESPACES)})")
                return
            for c in node.children:
                walk(c)

        walk(tree.root_node)
        # Rules: the shell neither compares what a view says nor picks out particular fields.
        for m in re.finditer(r"\.(label|title|text|value)\s*==\s*\"", p.read_text()):
            problems.append(f"{p}: compares a view's text with a literal ({m.group(0)}…): that is a rule")
        for m in re.finditer(r"\bFieldId\.\w+|case\s+\.(" + "|".join(FIELD_IDS) + r")\b", p.read_text()):
            problems.append(f"{p}: treats one field specially ({m.group(0)}): the view says what a field is")
    return problems, f"{count} string literals"


FIELD_IDS = ["recoveryPassphrase", "purposeNote", "colleague", "releaseTo", "denyReason", "signatory",
             "signatoryName", "relation", "incidentKind", "incidentItem", "receiptNumber", "residentName",
             "residentKana", "residentRoom", "admittedOn", "lockerKind", "lockerName", "lockerPlace", "staffName",
             "staffRole", "staffShift", "trainedOn", "trainingStaff", "trainingDate", "itemResident", "itemKind", "itemLocker", "envelopeNumber",
             "documentExpiresOn"]


# Faults put into copies of the real sources: each must be reported where the app really makes the call.
MUTATIONS = [
    ("Sources/AzukariUI/Parts.swift", "Text(row.title)", "Text(row.titles)", "no member `titles`"),
    ("Sources/AzukariUI/AppModel.swift", "app.presentCard(card: card)", "app.presentCard(cardd: card)",
     "presentCard(cardd:)"),
    ("Sources/AzukariUI/AppFrame.swift", "case .myRequests:", "case .myRequest:", "no case `myRequest`"),
    ("Sources/AzukariUI/Bridges/NFCCardReader.swift", "throw CardIoError.TagLost", "throw CardIoError.tagLost",
     "no case or static member `tagLost`"),
    ("Sources/AzukariUI/Bridges/PinnedHubConnection.swift", "HttpResponse(status:", "HttpResponse(code:",
     "HttpResponse(code:body:)"),
    ("Sources/AzukariUI/Screens.swift", "$0.screen == screen", "$0.screens == screen", "no member `screens`"),
    ("Sources/AzukariUI/Parts.swift", "send(.edit(field: field.id, value: choice.value))",
     "send(.edit(field: field.id, choice: choice.value))", "edit(field:choice:)"),
    ("Sources/AzukariUI/AppModel.swift", "case .shareFile(let fileName, _, let bytes):",
     "case .shareFile(let fileName, let bytes):", "carries 3 value(s)"),
    ("Sources/AzukariUI/AppModel.swift", "case .tapCard(let prompt, _):", "case .tapCard(let prompt):",
     "tapCard carries 2 value(s)"),
    ("Sources/AzukariUI/AppFrame.swift", "cancelled: .cardCancelled)", "cancelled: .cardCanceled)",
     "no case or static member `cardCanceled`"),
    ("Tests/AzukariUITests/TestFacility.swift", "try foundFacilityForTests(", "try foundFacilityForTest(",
     "unknown function `foundFacilityForTest`"),
    ("Tests/AzukariUITests/TestFacility.swift", "administratorName: TestFacility.admin",
     "adminName: TestFacility.admin", "foundFacilityForTests(path:facilityName:adminName:"),
    ("Tests/AzukariUITests/TestFacility.swift", "printLabelsForTests(app: setup.app)",
     "issueLabelSheet(app: setup.app)", "unknown function `issueLabelSheet`"),
    ("Tests/AzukariUITests/TestFacility.swift", ".edit(field: id, value: sent)", ".edit(field: id, text: sent)",
     "edit(field:text:)"),
    ("Tests/AzukariUITests/FacilityDayTests.swift", "$0 == .unlockWithVault", "$0 == .unlockWithVaults",
     "no case or static member `unlockWithVaults`"),
]


def self_tests(bindings, platform, view_rs, ios, test_bindings):
    """Each check must fail on a bad input: every fixture in tests/ios/fixtures names the check it trips and the
    message expected (`// expect: CHECK… MESSAGE`, or `pass` for a fixture every named check accepts)."""
    import shutil
    import tempfile
    results = []
    fixtures = sorted(pathlib.Path(__file__).with_name("fixtures").glob("*.swift"))
    for fixture in fixtures:
        head = fixture.read_text().splitlines()[0]
        m = re.match(r"// expect: ((?:(?:parse|bindings|strings|targets) )+)(.*)$", head)
        if not m:
            results.append((f"fixture {fixture.name}", [f"{fixture}: first line must be `// expect: CHECK MESSAGE`"]))
            continue
        names, expected = m.group(1).split(), m.group(2).strip()
        with tempfile.TemporaryDirectory() as tmp:
            fake = pathlib.Path(tmp, "ios")
            (fake / "Sources/AzukariUI").mkdir(parents=True)
            shutil.copy(fixture, fake / "Sources/AzukariUI" / fixture.name)
            found = []
            for name in names:
                if name == "parse":
                    found += check_parse(fake)[0]
                elif name == "bindings":
                    found += check_bindings(fake, bindings, None, platform)[0]
                elif name == "strings":
                    found += check_strings(fake)[0]
                elif name == "targets":
                    found += check_targets(fake)[0]
        if expected == "pass":
            results.append((f"accepts {fixture.name}", found))
        else:
            hit = [f for f in found if expected in f]
            results.append((f"rejects {fixture.name} ({' '.join(names)})",
                            [] if hit else [f"expected a problem containing {expected!r}, got {found or 'none'}"]))
    for path, old, new, expected in MUTATIONS:
        name = f"rejects {path.split('/')[-1]} with {new!r}"
        source = pathlib.Path(ios, path)
        if not source.exists() or old not in source.read_text():
            results.append((name, [f"{source} no longer holds {old!r}: update MUTATIONS in tests/ios/swiftcheck.py"]))
            continue
        if path.startswith("Tests/") and not test_bindings:
            results.append((name, ["needs --test-bindings"]))
            continue
        with tempfile.TemporaryDirectory() as tmp:
            copy = pathlib.Path(tmp, "ios")
            shutil.copytree(ios, copy, ignore=shutil.ignore_patterns(".build", "Frameworks"))
            target = copy / path
            target.write_text(target.read_text().replace(old, new, 1))
            found = check_bindings(copy, bindings, test_bindings, platform)[0]
        hit = [f for f in found if expected in f]
        results.append((name, [] if hit else [f"expected a problem containing {expected!r}, got {found or 'none'}"]))
    # The app target: an AID dropped from Info.plist, a file the project names removed.
    for name, path, old, new, expected in (
        ("rejects an Info.plist without the common card AP", "App/Azukari/Info.plist",
         "<string>D3921000310001010100</string>", "", "lack D3921000310001010100"),
        ("rejects an English-only NFC usage text", "App/Azukari/Info.plist",
         r"(<key>NFCReaderUsageDescription</key>\s*<string>)[^<]*", r"\1Reads the card",
         "NFCReaderUsageDescription must be there, in Japanese"),
        ("rejects a project naming an object it lacks", "App/Azukari.xcodeproj/project.pbxproj",
         r"rootObject = [0-9A-F]{24}", "rootObject = 000000000000000000000000", "rootObject is not an object"),
        ("rejects a project pointing at a missing file", "App/Azukari.xcodeproj/project.pbxproj",
         "path = AzukariApp.swift;", "path = AzukariMain.swift;", "AzukariMain.swift points to"),
    ):
        with tempfile.TemporaryDirectory() as tmp:
            copy = pathlib.Path(tmp, "ios")
            shutil.copytree(ios, copy, ignore=shutil.ignore_patterns(".build", "Frameworks"))
            target = copy / path
            text = target.read_text()
            changed = re.sub(old, new, text, count=1) if "\\" in old or "[" in old else text.replace(old, new, 1)
            if changed == text:
                results.append((name, [f"{path} no longer holds {old!r}: update the self-test"]))
                continue
            target.write_text(changed)
            found = check_app_target(copy)[0]
        hit = [f for f in found if expected in f]
        results.append((name, [] if hit else [f"expected a problem containing {expected!r}, got {found or 'none'}"]))
    # The C modules: two modules each defining RustBuffer (the committed per-crate modulemaps side by side).
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("azukari_coreFFI", "azukari_ffiFFI"):
            shutil.copy(pathlib.Path(bindings, f"{name}.h"), tmp)
        pathlib.Path(tmp, "module.modulemap").write_text("".join(
            f'module {name} {{\n    header "{name}.h"\n    export *\n}}\n'
            for name in ("azukari_coreFFI", "azukari_ffiFFI")))
        found = check_ffi_layout(tmp)
        hit = [f for f in found if "RustBuffer is defined in 2 C modules" in f]
        results.append(("rejects two C modules that each define RustBuffer",
                        [] if hit else [f"expected the double RustBuffer to be reported, got {found or 'none'}"]))
    # A name both binding modules declare (a mirror type back in azukari_ffi, as before the bindings were slimmed):
    # written without its module, it is reported.
    with tempfile.TemporaryDirectory() as tmp:
        doubled = pathlib.Path(tmp, "bindings")
        shutil.copytree(bindings, doubled)
        ffi = doubled / f"{FFI}.swift"
        ffi.write_text(ffi.read_text() + "\npublic enum Language {\n    case ja\n    case en\n}\n")
        fake = pathlib.Path(tmp, "ios")
        (fake / "Sources/AzukariUI").mkdir(parents=True)
        (fake / "Sources/AzukariUI/Mirror.swift").write_text(
            "import azukari_ffi\n\nfunc japanese(_ language: Language) -> Bool {\n    true\n}\n")
        found = check_bindings(fake, doubled, None, platform)[0]
        want = "`Language` is declared by both azukari_core and azukari_ffi"
        hit = [f for f in found if want in f]
        results.append(("rejects a name both binding modules declare, written without its module",
                        [] if hit else [f"expected {want!r}, got {found or 'none'}"]))
    # Parity: a screen missing on either side is reported by name.
    kinds, _ = screen_kinds(view_rs, bindings)
    with tempfile.TemporaryDirectory() as tmp:
        fake = pathlib.Path(tmp, "ios")
        android = pathlib.Path(tmp, "android")
        (fake / "Sources/AzukariUI").mkdir(parents=True)
        android.mkdir()
        (fake / "Sources/AzukariUI/Screens.swift").write_text("".join(
            f"struct {k}Screen: View {{ var body: some View {{ EmptyView() }} }}\n" for k in kinds[1:]))
        (android / "Screens.kt").write_text("".join(
            f"@Composable\nfun {k}Screen(view: AppView) {{}}\n" for k in kinds[:-1]))
        found = check_parity(fake, android, view_rs, bindings)[0]
        want = [f"for: {kinds[0]}Screen", f"for: {kinds[-1]}Screen"]
        missing = [w for w in want if not any(w in f for f in found)]
        results.append(("rejects a missing SwiftUI screen and a missing Android screen",
                        [f"expected {missing} among {found}"] if missing else []))
    return results


def ffi_headers(ios, bindings):
    """Lay the headers out as ios/make-ffi-headers.sh does for the XCFramework, and check the layout."""
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(["bash", str(pathlib.Path(ios, "make-ffi-headers.sh")), str(bindings), tmp],
                             capture_output=True, text=True)
        if out.returncode != 0:
            return [f"make-ffi-headers.sh failed: {out.stderr.strip()[:300]}"], ""
        return check_ffi_layout(tmp), "the XCFramework's C modules"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", default=".")
    ap.add_argument("--ios")
    ap.add_argument("--bindings")
    ap.add_argument("--test-bindings")
    ap.add_argument("--android-screens")
    ap.add_argument("--view-rs")
    ap.add_argument("--platform-names")
    ap.add_argument("--only", action="append")
    ap.add_argument("--max-problems", type=int, default=40)
    ap.add_argument("--self-test", action="store_true", help="also check that each check fails on the fixtures")
    a = ap.parse_args()
    repo = pathlib.Path(a.repo)
    ios = pathlib.Path(a.ios or repo / "ios")
    bindings = a.bindings or repo / "bindings/generated/swift"
    android = a.android_screens or repo / "android/screens/src/main/kotlin"
    view_rs = a.view_rs or repo / "core/src/app/view.rs"
    platform = a.platform_names or pathlib.Path(__file__).with_name("platform_names.txt")
    checks = {
        "parse": lambda: check_parse(ios),
        "bindings": lambda: check_bindings(ios, bindings, a.test_bindings, platform),
        "parity": lambda: check_parity(ios, android, view_rs, bindings),
        "strings": lambda: check_strings(ios),
        "targets": lambda: check_targets(ios),
        "app-target": lambda: check_app_target(ios),
        "ffi-headers": lambda: ffi_headers(ios, bindings),
    }
    passed = failed = 0
    for name, run in checks.items():
        if a.only and name not in a.only:
            continue
        problems, what = run()
        print(("ok   " if not problems else "FAIL ") + name + (f" ({what})" if what else ""))
        for problem in problems[:a.max_problems]:
            print("    " + problem)
        if len(problems) > a.max_problems:
            print(f"    … and {len(problems) - a.max_problems} more")
        if problems:
            failed += 1
        else:
            passed += 1
    if a.self_test and not a.only:
        for name, problems in self_tests(bindings, platform, view_rs, ios, a.test_bindings):
            print(("ok   " if not problems else "FAIL ") + name)
            for problem in problems[:5]:
                print("    " + problem)
            if problems:
                failed += 1
            else:
                passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
