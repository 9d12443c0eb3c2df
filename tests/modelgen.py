"""A seeded generator of random nn.Module source files, shared by the hypothesis
property test (tests/test_predict_hypothesis.py) and bench/predict_accuracy.py.

`generate(seed)` returns (source text, EXPR). Every generated file is valid
PyTorch: the generator tracks the concrete value of every constructor
argument, so dimensions stay positive and divisibility constraints hold. It
exercises nested user classes, inheritance with super().__init__(...),
Sequential/ModuleList/ModuleDict in all their forms, loops, comprehensions,
known-value conditionals, nn.Parameter, buffers (persistent or not), helper
methods and functions, config dataclasses, reassignment, None slots, del,
add_module/setattr with f-strings and weight tying.
"""

from __future__ import annotations

import random
from typing import Dict, List, Optional, Tuple

INDENT = "        "


class _Cls:
    def __init__(self, name: str, params: Dict[str, object], base: Optional[_Cls]) -> None:
        self.name = name
        self.params = params  # name -> default value (ints / bools)
        self.base = base
        self.lines: List[str] = []
        self.methods: List[str] = []
        self.linear_attrs: List[str] = []
        self.attrs: List[str] = []
        self.param_attrs: List[str] = []


class Gen:
    """One random model file."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.classes: List[_Cls] = []
        self.helpers: List[str] = []
        self.counter = 0
        self.use_config = self.r.random() < 0.3
        self.config_fields = {"width": self.r.randint(2, 12), "depth": self.r.randint(1, 3),
                              "use_bias": self.r.random() < 0.5}

    # -- values ------------------------------------------------------------------
    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def dim(self, env: Dict[str, object]) -> Tuple[str, int]:
        """A positive integer expression over the constructor arguments."""
        r = self.r
        ints = [(k, v) for k, v in env.items() if isinstance(v, int) and not isinstance(v, bool)]
        choice = r.randint(0, 9)
        if ints and choice < 6:
            name, value = r.choice(ints)
            form = r.randint(0, 6)
            if form == 0:
                return name, value  # type: ignore[return-value]
            if form == 1:
                return f"2 * {name}", 2 * value  # type: ignore[operator]
            if form == 2:
                return f"{name} + 3", value + 3  # type: ignore[operator]
            if form == 3:
                return f"{name} // 2 + 1", value // 2 + 1  # type: ignore[operator]
            if form == 4:
                other_name, other = r.choice(ints)
                return f"max({name}, {other_name})", max(value, other)  # type: ignore[type-var]
            if form == 5:
                return f"int({name} * 1.5)", int(value * 1.5)  # type: ignore[operator]
            return f"{name} * {name}", value * value  # type: ignore[operator]
        if choice < 8:
            v = r.randint(1, 9)
            return str(v), v
        return "WIDTH", WIDTH

    def count(self, env: Dict[str, object], least: int = 0) -> str:
        """A small loop count: a constant or an integer argument (symbolic when bare)."""
        small = [k for k, v in env.items() if isinstance(v, int) and not isinstance(v, bool)
                 and least <= v <= 4 and "." not in k]
        if small and self.r.random() < 0.5:
            return self.r.choice(small)
        return str(self.r.randint(least, 3))

    def flag(self, env: Dict[str, object]) -> Tuple[str, bool]:
        bools = [(k, v) for k, v in env.items() if isinstance(v, bool)]
        if bools and self.r.random() < 0.6:
            name, value = self.r.choice(bools)
            if self.r.random() < 0.3:
                return f"not {name}", not value
            return name, value  # type: ignore[return-value]
        v = self.r.random() < 0.5
        return str(v), v

    # -- layers --------------------------------------------------------------------
    def layer(self, env: Dict[str, object], depth: int = 0) -> str:
        """A module-valued expression."""
        r = self.r
        kind = r.randint(0, 17)
        if kind <= 2:
            (a, _), (b, _) = self.dim(env), self.dim(env)
            if r.random() < 0.4:
                bias, _ = self.flag(env)
                return f"nn.Linear({a}, {b}, bias={bias})"
            return f"nn.Linear({a}, {b})"
        if kind == 3:
            (a, _), (b, _) = self.dim(env), self.dim(env)
            k = r.randint(1, 3)
            return f"nn.Conv2d({a}, {b}, {k}, stride={r.randint(1, 2)}, padding={k // 2}, bias={r.random() < 0.5})"
        if kind == 4:
            (a, _), (b, _) = self.dim(env), self.dim(env)
            return f"nn.Conv1d({a}, {b}, kernel_size={r.randint(1, 4)})"
        if kind == 5:
            a, _ = self.dim(env)
            return f"nn.BatchNorm{r.randint(1, 2)}d({a}, affine={r.random() < 0.7}, track_running_stats={r.random() < 0.7})"
        if kind == 6:
            a, _ = self.dim(env)
            if r.random() < 0.3:
                b, _ = self.dim(env)
                return f"nn.LayerNorm(({a}, {b}))"
            return f"nn.LayerNorm({a}, elementwise_affine={r.random() < 0.8})"
        if kind == 7:
            (a, _), (b, _) = self.dim(env), self.dim(env)
            return f"nn.Embedding({a}, {b})"
        if kind == 8:
            g = r.randint(1, 3)
            c, _ = self.dim(env)
            return f"nn.GroupNorm({g}, {g} * ({c}))"
        if kind == 9:
            return r.choice(["nn.ReLU()", "nn.GELU()", "nn.Dropout(0.1)", "nn.Identity()",
                             "nn.Tanh()", "nn.SiLU()"])
        if kind == 10:
            (a, _), (b, _) = self.dim(env), self.dim(env)
            cell = r.choice(["LSTM", "GRU", "RNN"])
            return f"nn.{cell}({a}, {b}, num_layers={r.randint(1, 2)}, bidirectional={r.random() < 0.5})"
        if kind == 11:
            heads = r.randint(1, 3)
            a, _ = self.dim(env)
            return f"nn.MultiheadAttention({heads} * ({a}), {heads}, bias={r.random() < 0.7})"
        if kind == 12:
            (a, _), (b, _) = self.dim(env), self.dim(env)
            return f"nn.ConvTranspose2d({a}, {b}, 2, stride=2)"
        if kind == 13:
            a, _ = self.dim(env)
            return f"nn.PReLU({a})"
        if kind == 14 and depth < 2:
            items = ", ".join(self.layer(env, depth + 1) for _ in range(r.randint(1, 3)))
            return f"nn.Sequential({items})"
        if kind == 15 and depth < 2 and self.classes:
            return self.instantiate(r.choice(self.classes), env)
        if kind == 16 and depth < 2 and self.helpers:
            name = r.choice(self.helpers)
            a, _ = self.dim(env)
            return f"{name}({a})"
        if kind == 17 and depth < 2:
            (a, _), (b, _) = self.dim(env), self.dim(env)
            return f"nn.Bilinear({a}, {b}, {r.randint(1, 4)})"
        (a, _), (b, _) = self.dim(env), self.dim(env)
        return f"nn.Linear({a}, {b})"

    def instantiate(self, cls: _Cls, env: Dict[str, object]) -> str:
        args = []
        for pname, default in cls.params.items():
            if self.r.random() < 0.5:
                continue
            if isinstance(default, bool):
                expr, _ = self.flag(env)
            else:
                expr, _ = self.dim(env)
            args.append(f"{pname}={expr}")
        return f"{cls.name}({', '.join(args)})"

    # -- statements ------------------------------------------------------------------
    def statement(self, cls: _Cls, env: Dict[str, object]) -> None:
        r = self.r
        add = cls.lines.append
        kind = r.randint(0, 19) if r.random() < 0.75 else 19
        attr = self.fresh("m")
        if kind <= 4:
            expr = self.layer(env)
            add(f"self.{attr} = {expr}")
            if expr.startswith("nn.Linear("):
                cls.linear_attrs.append(attr)
        elif kind == 5:
            k = self.count(env)
            a, _ = self.dim(env)
            add(f"self.{attr} = nn.ModuleList([nn.Linear({a}, i + 1) for i in range({k})])")
        elif kind == 6:
            k = self.count(env)
            add(f"self.{attr} = nn.ModuleList()")
            add(f"for i in range({k}):")
            a, _ = self.dim(env)
            add(f"    self.{attr}.append(nn.Linear({a} + i, 2))")
        elif kind == 7:
            lst = self.fresh("layers")
            add(f"{lst} = []")
            add(f"for j in range({self.count(env, 1)}):")
            add(f"    {lst}.append({self.layer(env, 1)})")
            if r.random() < 0.5:
                add(f"    {lst}.append(nn.ReLU())")
            add(f"self.{attr} = nn.Sequential(*{lst})")
            add(f"del {lst}")
        elif kind == 8:
            names = r.sample(["a", "b", "c", "q", "k"], r.randint(1, 3))
            items = ", ".join(f'"{n}": {self.layer(env, 1)}' for n in names)
            add(f"self.{attr} = nn.ModuleDict({{{items}}})")
        elif kind == 9:
            cond, _ = self.flag(env)
            add(f"if {cond}:")
            add(f"    self.{attr} = {self.layer(env, 1)}")
            add("else:")
            if r.random() < 0.5:
                add(f"    self.{attr} = {self.layer(env, 1)}")
            else:
                add(f"    self.{attr} = None")
        elif kind == 10:
            shape = ", ".join(self.dim(env)[0] for _ in range(r.randint(0, 3))) or "()"
            fn = r.choice(["zeros", "ones", "randn", "rand", "empty"])
            scale = " * 0.02" if r.random() < 0.3 else ""
            add(f"self.{attr} = nn.Parameter(torch.{fn}({shape}){scale})")
            cls.param_attrs.append(attr)
        elif kind == 11:
            shape = ", ".join(self.dim(env)[0] for _ in range(r.randint(1, 2)))
            persistent = r.random() < 0.6
            add(f'self.register_buffer("{attr}", torch.zeros({shape}), persistent={persistent})')
        elif kind == 12:
            meth = self.fresh("_make")
            a, _ = self.dim(env)
            cls.methods.append(
                f"    def {meth}(self, width):\n"
                f"        return nn.Sequential(nn.Linear(width, width + 1), nn.ReLU())\n")
            add(f"self.{attr} = self.{meth}({a})")
        elif kind == 13 and [a for a in cls.attrs if a not in cls.param_attrs]:
            old = r.choice([a for a in cls.attrs if a not in cls.param_attrs])
            add(f"self.{old} = {self.layer(env, 1)}")
            if old in cls.linear_attrs:
                cls.linear_attrs.remove(old)
            return
        elif kind == 14 and cls.attrs:
            old = r.choice(cls.attrs)
            add(f"self.{old} = None")
            if old in cls.linear_attrs:
                cls.linear_attrs.remove(old)
            return
        elif kind == 15:
            k = r.randint(1, 3)
            add(f"for i in range({k}):")
            a, _ = self.dim(env)
            if r.random() < 0.5:
                add(f'    self.add_module(f"{attr}_{{i}}", nn.Linear({a}, i + 1))')
            else:
                add(f'    setattr(self, f"{attr}_{{i}}", nn.Linear(i + 1, {a}))')
            return
        elif kind == 16 and cls.attrs:
            old = cls.attrs.pop(r.randrange(len(cls.attrs)))
            add(f"del self.{old}")
            if old in cls.linear_attrs:
                cls.linear_attrs.remove(old)
            return
        elif kind == 17 and len(cls.linear_attrs) >= 2:
            a, b = r.sample(cls.linear_attrs, 2)
            add(f"self.{a}.weight = self.{b}.weight")
            return
        elif kind == 18:
            cond, _ = self.flag(env)
            a, _ = self.dim(env)
            add(f'self.register_parameter("{attr}", nn.Parameter(torch.ones({a})) if {cond} else None)')
            cls.param_attrs.append(attr)
        elif kind == 19 and r.random() < 0.7:
            self.extra_statement(cls, env, attr)
            return
        else:
            widths = [self.dim(env)[0] for _ in range(r.randint(2, 4))]
            add(f"widths = [{', '.join(widths)}]")
            add(f"self.{attr} = nn.Sequential(*[nn.Linear(x, y) for x, y in zip(widths, widths[1:])])")
        cls.attrs.append(attr)

    def extra_statement(self, cls: _Cls, env: Dict[str, object], attr: str) -> None:
        """Less common constructs: OrderedDict, ModuleList edits, closures, enumerate,
        elif chains, partial, deepcopy clones, tensor-method buffers, getattr."""
        r = self.r
        add = cls.lines.append
        kind = r.randint(0, 11)
        (a, _), (b, _) = self.dim(env), self.dim(env)
        if kind == 0:
            add(f"self.{attr} = nn.Sequential(OrderedDict([")
            add(f'    ("first", {self.layer(env, 1)}),')
            add(f'    ("second", {self.layer(env, 1)}),')
            add("]))")
        elif kind == 1:
            add(f"self.{attr} = nn.ModuleList([nn.Linear({a}, 1)])")
            add(f"self.{attr}.extend([nn.Linear(1, {b}), {self.layer(env, 1)}])")
            add(f"self.{attr}.insert({r.randint(0, 3)}, nn.Linear(2, 2))")
            add(f"self.{attr} += [nn.Linear(3, 3)]")
        elif kind == 2:
            fn = self.fresh("make")
            add(f"def {fn}(k, extra={a}):")
            add("    return nn.Linear(k + extra, k)")
            add(f"self.{attr} = nn.Sequential(*[{fn}(i + 1) for i in range({r.randint(1, 3)})])")
        elif kind == 3:
            add(f"self.{attr} = nn.ModuleList()")
            add(f"for i, width in enumerate([{a}, {b}]):")
            add("    if i % 2 == 0:")
            add(f"        self.{attr}.append(nn.Linear(width, i + 1))")
            add("    else:")
            add(f"        self.{attr}.append(nn.Conv1d(width, 2, 1, bias=False))")
        elif kind == 4:
            add(f"if {a} > {r.randint(1, 9)}:")
            add(f"    self.{attr} = {self.layer(env, 1)}")
            add(f"elif {b} == {r.randint(1, 9)}:")
            add(f"    self.{attr} = {self.layer(env, 1)}")
            add("else:")
            add(f"    self.{attr} = nn.Sequential()")
        elif kind == 5:
            add(f"norm = partial(nn.LayerNorm, eps=1e-6, elementwise_affine={r.random() < 0.5})")
            add(f"self.{attr} = nn.Sequential(norm({a}), nn.Linear({a}, {b}), norm({b}))")
        elif kind == 6:
            add(f"proto = nn.Linear({a}, {b})")
            add(f"self.{attr} = nn.ModuleList([copy.deepcopy(proto) for _ in range({r.randint(1, 3)})])")
        elif kind == 7:
            add(f'self.register_buffer("{attr}", torch.arange({a}).float().unsqueeze(0).expand({b}, -1).clone())')
            return
        elif kind == 8:
            fn = r.choice(["torch.eye({0})", "torch.full(({0}, 2), 0.5)", "torch.empty({0}, {1}).normal_(std=0.02)",
                           "torch.zeros({1}).uniform_(-1, 1)"])
            add(f"self.{attr} = nn.Parameter({fn.format(a, b)})")
            cls.param_attrs.append(attr)
        elif kind == 9:
            add(f'setattr(self, "{attr}", nn.Linear({a}, {b}))')
            add(f'self.{attr}_out = nn.Linear(getattr(self, "{attr}").out_features, 1)')
            cls.linear_attrs.append(attr)
        elif kind == 10:
            add(f"self.{attr} = nn.ModuleDict()")
            add(f"for name in {r.sample(['x', 'y', 'z'], r.randint(1, 3))!r}:")
            add(f"    self.{attr}[name] = nn.Linear({a}, len(name) + 1)")
        else:
            add(f"self.{attr} = nn.Sequential({self.layer(env, 1)})")
            add(f"self.{attr}.append({self.layer(env, 1)})")
            add(f"self.{attr}_first = self.{attr}[0]")
        cls.attrs.append(attr)

    def make_class(self, base: Optional[_Cls], top: bool = False) -> _Cls:
        r = self.r
        name = self.fresh("Net" if top else "Block")
        params: Dict[str, object] = {}
        for pname in r.sample(["d", "h", "n", "w"], r.randint(1, 3)):
            params[pname] = r.randint(1, 8)
        if r.random() < 0.5:
            params["flag"] = r.random() < 0.5
        cls = _Cls(name, params, base)
        env: Dict[str, object] = dict(params)
        if self.use_config and top:
            env.update({f"cfg.{k}": v for k, v in self.config_fields.items()})
        if base is not None:
            cls.attrs = list(base.attrs)
            cls.linear_attrs = list(base.linear_attrs)
            cls.param_attrs = list(base.param_attrs)
        for _ in range(r.randint(1, 6)):
            self.statement(cls, env)
        return cls

    def helper(self) -> None:
        name = self.fresh("make_block")
        k = self.r.randint(1, 2)
        self.helpers.append(name)
        self._helper_src.append(
            f"def {name}(width, depth={k}):\n"
            f"    layers = [nn.Linear(width, width) for _ in range(depth)]\n"
            f"    layers.append(nn.LayerNorm(width))\n"
            f"    return nn.Sequential(*layers)\n")

    _helper_src: List[str]

    symbolic_top: Optional[str] = None  # name of the class whose parameters have no defaults

    def render_class(self, cls: _Cls) -> str:
        if cls.name == self.symbolic_top:
            sig = ", ".join(cls.params)
        else:
            sig = ", ".join(f"{k}={v!r}" for k, v in cls.params.items())
        if self.use_config and cls.name.startswith("Net"):
            sig = (sig + ", " if sig else "") + "cfg=Config()"
        base = cls.base.name if cls.base is not None else "nn.Module"
        out = [f"class {cls.name}({base}):", f"    def __init__(self, {sig}):" if sig else
               "    def __init__(self):"]
        if cls.base is not None:
            args = ", ".join(f"{k}={k}" if k in cls.params else f"{k}={v!r}"
                             for k, v in cls.base.params.items())
            out.append(f"{INDENT}super().__init__({args})")
        else:
            out.append(f"{INDENT}super().__init__()")
        for line in cls.lines:
            out.append(INDENT + line)
        text = "\n".join(out) + "\n"
        if cls.methods:
            text += "\n" + "\n".join(cls.methods)
        return text

    def generate(self, symbolic: bool = False) -> Tuple[str, str]:
        r = self.r
        self._helper_src = []
        for _ in range(r.randint(0, 2)):
            self.helper()
        for _ in range(r.randint(0, 2)):
            base = r.choice(self.classes) if self.classes and r.random() < 0.3 else None
            self.classes.append(self.make_class(base))
        top_base = r.choice(self.classes) if self.classes and r.random() < 0.25 else None
        top = self.make_class(top_base, top=True)
        # substitute config fields in the top class
        if self.use_config:
            top.lines = [_use_cfg(line, r) for line in top.lines]
        if symbolic:
            self.symbolic_top = top.name
            binds = ", ".join(f"{k}={v!r}" for k, v in top.params.items())
            self.symbolic_binds = binds
        parts = ["import copy\nimport torch\nimport torch.nn as nn\nfrom collections import OrderedDict\n"
                 "from dataclasses import dataclass\nfrom functools import partial", "",
                 f"WIDTH = {WIDTH}", ""]
        if self.use_config:
            parts.append("@dataclass\nclass Config:\n" + "".join(
                f"    {k}: {type(v).__name__} = {v!r}\n" for k, v in self.config_fields.items()))
        parts.extend(self._helper_src)
        for cls in self.classes + [top]:
            parts.append(self.render_class(cls))
        args = []
        for pname, default in top.params.items():
            if r.random() < 0.5:
                args.append(f"{pname}={(not default) if isinstance(default, bool) else r.randint(1, 9)!r}")
        if self.use_config and r.random() < 0.5:
            args.append(f"cfg=Config(width={r.randint(1, 9)})")
        if symbolic:
            return "\n\n".join(parts), top.name
        return "\n\n".join(parts), f"{top.name}({', '.join(args)})"


WIDTH = 6


def _use_cfg(line: str, r: random.Random) -> str:
    """Make some layers of the top class read the config object."""
    if "nn.Linear(" in line and r.random() < 0.5:
        line = line.replace("nn.Linear(", "nn.Linear(cfg.width + ", 1)
    if "range(" in line and r.random() < 0.4:
        line = line.replace("range(", "range(cfg.depth + ", 1)
    if "bias=True" in line and r.random() < 0.5:
        line = line.replace("bias=True", "bias=cfg.use_bias", 1)
    return line


def generate(seed: int) -> Tuple[str, str]:
    """(source, EXPR) of the random model file number `seed`."""
    return Gen(seed).generate()


def generate_symbolic(seed: int) -> Tuple[str, str, str]:
    """(source, bare class name, bindings): the top class takes its int/bool
    arguments without defaults; `bindings` (`d=3, flag=True`) are values to
    substitute into the symbolic prediction and to build the real model with."""
    gen = Gen(seed)
    source, name = gen.generate(symbolic=True)
    return source, name, gen.symbolic_binds
