"""A plugin of dwmgrad-verify for the tests, found through the entry points of its dist-info
(``tests/data/plugin_site`` on ``sys.path`` is a site directory holding an installed
distribution): sign descent, a separable quadratic, the bound on where sign descent settles,
an experiment that measures it, and the claim that the bound holds.

Sign descent x <- x - lr sign(g) on f(x) = 1/2 sum_j a_j x_j^2 (0 < a_j <= L, f* = 0): a
coordinate with |x_j| > lr moves lr towards 0, one with |x_j| <= lr lands at lr - |x_j| <= lr,
so after T >= ||x_0||_inf / lr steps every |x_j| <= lr and f(x_T) <= 1/2 d L lr^2.
"""
