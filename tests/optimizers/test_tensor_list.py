"""TensorList answers every Tensor method torch has a foreach op for, so a new update rule
needs no new vocabulary (e.g. Lion's ``sign_``); a name with no such op is refused by name."""

from __future__ import annotations

import pytest
import torch

from dwmgrad.tensor_list import TensorList


def _tensors() -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return [torch.randn(3, generator=gen), torch.randn(2, 2, generator=gen), torch.zeros(())]


@pytest.mark.parametrize(("method", "operands"), [
    ("sign_", ()), ("abs", ()), ("exp_", ()), ("clamp_max", (0.5,)), ("minimum", ("list",)),
])
def test_methods_it_does_not_spell_out_match_the_tensor_method(method: str,
                                                               operands: tuple[object, ...]
                                                               ) -> None:
    values = _tensors()
    expected = [getattr(t.clone(), method)(*(t if o == "list" else o for o in operands))
                for t in values]
    batch = TensorList([t.clone() for t in values])
    args = [TensorList(values) if o == "list" else o for o in operands]
    out = getattr(batch, method)(*args)
    assert (out is batch) == method.endswith("_")
    for got, want in zip(out.tensors, expected, strict=True):
        torch.testing.assert_close(got, want, rtol=0, atol=0)


@pytest.mark.parametrize("name", ["nosuch_", "shape", "_private"])
def test_a_name_with_no_foreach_op_is_refused_by_name(name: str) -> None:
    with pytest.raises(AttributeError, match=f"no method '{name}'"):
        getattr(TensorList(_tensors()), name)
