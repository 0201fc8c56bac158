"""The committed type stubs (python/cmlx/core/*.pyi): up to date with what
scripts/gen_stubs.py writes from the built extension, valid Python, and
naming every public attribute of cmlx.core and its submodules."""
import ast
import importlib.util
import os
import subprocess
import sys

import pytest

import cmlx.core as mx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STUB_DIR = os.path.join(ROOT, "python", "cmlx", "core")
SCRIPT = os.path.join(ROOT, "scripts", "gen_stubs.py")
SUBMODULES = ["random", "linalg", "fft", "fast", "metal", "cuda", "distributed"]


def stub_path(sub=None):
    return os.path.join(STUB_DIR, f"{sub}.pyi" if sub else "__init__.pyi")


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_stubs", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def parsed(sub=None):
    with open(stub_path(sub)) as f:
        return ast.parse(f.read(), filename=stub_path(sub))


def defined_names(tree):
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom):
            names.update(a.asname or a.name for a in node.names)
    return names


def test_stubs_are_up_to_date():
    files = load_generator().generate()
    assert sorted(files) == sorted(["__init__.pyi"] + [f"{s}.pyi" for s in SUBMODULES])
    for name, text in files.items():
        with open(os.path.join(STUB_DIR, name)) as f:
            assert f.read() == text, (
                f"python/cmlx/core/{name} is stale: run python scripts/gen_stubs.py")


def test_check_mode(tmp_path):
    # --check against a directory without stubs fails and says what to run
    r = subprocess.run([sys.executable, SCRIPT, "--check", "--out", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "gen_stubs.py" in r.stderr
    r = subprocess.run([sys.executable, SCRIPT, "--out", str(tmp_path)])
    assert r.returncode == 0
    r = subprocess.run([sys.executable, SCRIPT, "--check", "--out", str(tmp_path)])
    assert r.returncode == 0


@pytest.mark.parametrize("sub", [None] + SUBMODULES)
def test_stub_parses_and_names_everything(sub):
    tree = parsed(sub)
    module = getattr(mx, sub) if sub else mx
    public = {n for n in dir(module) if not n.startswith("_")}
    missing = public - defined_names(tree)
    assert not missing, f"not in the stub: {sorted(missing)}"


def test_classes_name_their_public_attributes():
    tree = parsed()
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    for name, cls in classes.items():
        body = set()
        for node in cls.body:
            if isinstance(node, ast.FunctionDef):
                body.add(node.name)
            elif isinstance(node, ast.AnnAssign):
                body.add(node.target.id)
            elif isinstance(node, ast.Assign):
                body.update(t.id for t in node.targets)
        attrs = {a for a in dir(getattr(mx, name)) if not a.startswith("_")}
        assert attrs <= body, (name, sorted(attrs - body))


def test_signatures_follow_the_op_table():
    tree = parsed()
    fns = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    add = fns["add"]
    assert [a.arg for a in add.args.posonlyargs] == ["a", "b"]
    assert [a.arg for a in add.args.kwonlyargs] == ["stream"]
    assert ast.unparse(add.returns) == "array"
    s = fns["sum"]
    assert [a.arg for a in s.args.args] == ["axis", "keepdims"]
    assert ast.unparse(fns["default_stream"].returns) == "Stream"
    assert ast.unparse(fns["new_thread_local_stream"].returns) == "ThreadLocalStream"
    assert ast.unparse(fns["get_printoptions"].returns) == "PrintOptions"
    lin = {n.name: n for n in parsed("linalg").body if isinstance(n, ast.FunctionDef)}
    assert ast.unparse(lin["qr"].returns) == "tuple[array, array]"
    rnd = {n.name: n for n in parsed("random").body if isinstance(n, ast.FunctionDef)}
    key = [a for a in rnd["normal"].args.args + rnd["normal"].args.kwonlyargs if a.arg == "key"]
    assert ast.unparse(key[0].annotation) == "Optional[array]"


def test_stubs_compile_as_a_package(tmp_path):
    # every stub's imports resolve inside the stub package
    for sub in [None] + SUBMODULES:
        tree = parsed(sub)
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                top = defined_names(parsed())
                for alias in node.names:
                    assert alias.name in top or alias.name in SUBMODULES, alias.name


def test_py_typed_marker_and_packaging():
    assert os.path.exists(os.path.join(ROOT, "python", "cmlx", "py.typed"))
    with open(os.path.join(ROOT, "pyproject.toml")) as f:
        assert 'wheel.packages = ["python/cmlx"]' in f.read()  # ships the whole package dir
    with open(os.path.join(ROOT, "python", "CMakeLists.txt")) as f:
        text = f.read()
    assert "*.pyi" in text and "py.typed" in text


USAGE = '''
import cmlx.core as mx

a = mx.array([1.0, 2.0], dtype=mx.float32)
t = mx.new_thread_local_stream(mx.cpu)
b: mx.array = mx.add(a, 1, stream=t) * 2 + a
shape: tuple[int, ...] = b.shape
n: int = b.ndim + b.size
x = mx.random.normal((2, 3), key=mx.random.key(0))
q, r = mx.linalg.qr(mx.eye(3))
with mx.printoptions(precision=2):
    p: int = mx.get_printoptions().precision
c = mx.from_dlpack(object())
size: int = mx.get_array_buffer_size(a, [b, c])
s: mx.Stream = mx.default_stream(mx.cpu)
d: mx.Device = s.device
v = a.sum(axis=0, keepdims=True).astype(mx.int32)
e = mx.fft.fft(a)
f = mx.fast.rms_norm(a, None, 1e-5)
first: mx.array = mx.split(a, 2)[0]
mx.eval(a, b)
ok: bool = mx.issubdtype(a.dtype, mx.floating)
'''


def test_mypy_accepts_stubs_and_typical_use(tmp_path):
    pytest.importorskip("mypy")
    use = tmp_path / "use_cmlx.py"
    use.write_text(USAGE)
    stubs = [os.path.join("cmlx", "core", f) for f in sorted(os.listdir(STUB_DIR))]
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", str(tmp_path / "c"),
         "--follow-imports=silent", str(use), *stubs],
        cwd=os.path.join(ROOT, "python"), env={**os.environ, "MYPYPATH": "."},
        capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
