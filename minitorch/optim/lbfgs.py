"""L-BFGS (``torch.optim.LBFGS``): a quasi-Newton method that learns the curvature from its own steps.

Unlike the other optimizers, one ``step(closure)`` runs up to ``max_iter`` iterations, evaluating the
loss through ``closure`` as often as it needs. All parameters are seen as one flat vector ``x``, with
gradient ``g``. From the last ``history_size`` steps ``s = x_new - x`` and gradient changes
``y = g_new - g`` (kept only where ``y . s > 1e-10``, so the curvature estimate stays positive
definite), the two-loop recursion turns ``-g`` into a direction ``d ~ -H^-1 g``:

    q = -g;  for each pair, newest first:  a_i = rho_i * s_i . q;  q = q - a_i * y_i       (rho_i = 1 / y_i . s_i)
    r = H_diag * q                                                                         (H_diag = y . s / y . y, newest pair)
    for each pair, oldest first:  b_i = rho_i * y_i . r;  r = r + (a_i - b_i) * s_i
    d = r;  x = x + t * d

The step length ``t`` is ``lr`` (on the first iteration at most ``lr / |g|_1``), or, with
``line_search_fn="strong_wolfe"``, the one a line search finds that satisfies the strong Wolfe
conditions (enough decrease, and a slope flattened by a factor ``c2``), by bracketing and cubic
interpolation as in minFunc.

The scalars (``y . s``, ``rho``, ``H_diag``, ``t``, the slopes along ``d``) are 0-dim tensors exactly
where PyTorch's are, so they round in the parameters' dtype and the ``state_dict`` holds the same types.
"""
import minitorch
from minitorch.optim.optimizer import Optimizer, check_nonnegative, hyperparameter

__all__ = ["LBFGS"]


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Where the cubic with values ``f1, f2`` and slopes ``g1, g2`` at ``x1, x2`` has its minimum, kept
    within ``bounds`` (by default between the two points); the middle of the bounds if it has none."""
    low, high = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2.0
    d2 = d2_square.sqrt()
    if x1 <= x2:
        minimum = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        minimum = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(minimum, low), high)


class _Point:
    """A step length ``t`` tried along the search direction: the loss there, its gradient, and the
    slope ``gtd`` (gradient . direction)."""

    def __init__(self, t, loss, grad, gtd):
        self.t, self.loss, self.grad, self.gtd = t, loss, grad, gtd


def _strong_wolfe(evaluate, t, direction, loss, grad, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Find a step length along ``direction`` with enough decrease (``loss(t) <= loss + c1 t gtd``) and a
    flat enough slope (``|gtd(t)| <= -c2 gtd``). ``evaluate(t)`` gives the loss and gradient at ``t``.

    First extrapolate until an interval is known to hold such a point, then shrink it (zoom) by cubic
    interpolation. Returns the loss, gradient and step length found, and how many evaluations it took.
    """
    direction_norm = direction.abs().max()
    start = _Point(0, loss, grad, gtd)  # every evaluation makes a fresh gradient: nothing here is aliased
    new_loss, new_grad = evaluate(t)
    evaluations = 1
    new = _Point(t, new_loss, new_grad, new_grad.dot(direction))
    previous = start
    done = False
    iteration = 0
    while iteration < max_ls:  # bracketing
        if new.loss > (loss + c1 * new.t * gtd) or (iteration > 1 and new.loss >= previous.loss):
            bracket = [previous, new]
            break
        if abs(new.gtd) <= -c2 * gtd:
            bracket = [new]
            done = True
            break
        if new.gtd >= 0:
            bracket = [previous, new]
            break
        # still descending: extrapolate, at least 1% beyond and at most 10 times as far
        min_step = new.t + 0.01 * (new.t - previous.t)
        max_step = new.t * 10
        t = _cubic_interpolate(previous.t, previous.loss, previous.gtd, new.t, new.loss, new.gtd,
                               bounds=(min_step, max_step))
        previous = new
        new_loss, new_grad = evaluate(t)
        evaluations += 1
        new = _Point(t, new_loss, new_grad, new_grad.dot(direction))
        iteration += 1
    if iteration == max_ls:  # out of evaluations: between the start and the last point
        bracket = [start, new]

    insufficient_progress = False
    low, high = (0, 1) if bracket[0].loss <= bracket[-1].loss else (1, 0)
    while not done and iteration < max_ls:  # zoom
        if abs(bracket[1].t - bracket[0].t) * direction_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0].t, bracket[0].loss, bracket[0].gtd,
                               bracket[1].t, bracket[1].loss, bracket[1].gtd)
        # a point too close to an end of the interval teaches little: move it a tenth of the way in,
        # at once if it lies on or past an end, else on the second time in a row
        left, right = min(bracket[0].t, bracket[1].t), max(bracket[0].t, bracket[1].t)
        margin = 0.1 * (right - left)
        if min(right - t, t - left) < margin:
            if insufficient_progress or t >= right or t <= left:
                t = right - margin if abs(t - right) < abs(t - left) else left + margin
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        new_loss, new_grad = evaluate(t)
        evaluations += 1
        new_gtd = new_grad.dot(direction)
        iteration += 1
        if new_loss > (loss + c1 * t * gtd) or new_loss >= bracket[low].loss:
            bracket[high] = _Point(t, new_loss, new_grad, new_gtd)
            low, high = (0, 1) if bracket[0].loss <= bracket[1].loss else (1, 0)
        else:
            if abs(new_gtd) <= -c2 * gtd:
                done = True
            elif new_gtd * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]  # the slope says the minimum lies on the other side
            bracket[low] = _Point(t, new_loss, new_grad, new_gtd)
    best = bracket[low]
    return best.loss, best.grad, best.t, evaluations


class LBFGS(Optimizer):
    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        check_nonnegative(lr=lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size,
                        line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _gather_flat_grad(self):
        """All gradients as one vector (zeros for a parameter without one)."""
        return minitorch.cat([param.new_zeros(param.numel()) if param.grad is None else param.grad.view(-1)
                              for param in self._params])

    def _add_grad(self, step_size, update) -> None:
        """``x = x + step_size * update``, ``update`` a flat vector cut into the parameters' shapes."""
        step_size = hyperparameter(step_size)
        offset = 0
        for param in self._params:
            numel = param.numel()
            param._data += step_size * update._data[offset:offset + numel].reshape(param.shape)
            param._version.bump()
            offset += numel

    def _set_param(self, arrays) -> None:
        for param, array in zip(self._params, arrays):
            param._data[...] = array
            param._version.bump()

    @staticmethod
    def _evaluate(closure):
        with minitorch.enable_grad():
            return closure()

    def _directional_evaluate(self, closure, start, t, direction):
        """Loss and flat gradient at ``start + t * direction``; the parameters are put back at ``start``."""
        self._add_grad(t, direction)
        loss = float(self._evaluate(closure))
        flat_grad = self._gather_flat_grad()
        self._set_param(start)
        return loss, flat_grad

    @staticmethod
    def _direction(flat_grad, old_dirs, old_stps, ro, H_diag, al):
        """The quasi-Newton direction ``-H^-1 g`` by the two-loop recursion over the stored pairs."""
        q = flat_grad.neg()
        for index in range(len(old_dirs) - 1, -1, -1):
            al[index] = old_stps[index].dot(q) * ro[index]
            q.add_(old_dirs[index], alpha=-al[index])
        r = minitorch.mul(q, H_diag)
        for index in range(len(old_dirs)):
            be_i = old_dirs[index].dot(r) * ro[index]
            r.add_(old_stps[index], alpha=al[index] - be_i)
        return r

    def step(self, closure):
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        # all state lives with the first parameter, as in PyTorch
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._evaluate(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if flat_grad.abs().max() <= tolerance_grad:  # already optimal
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro, H_diag = state.get("old_dirs"), state.get("old_stps"), state.get("ro"), state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:  # steepest descent, no history yet
                d = flat_grad.neg()
                old_dirs, old_stps, ro, H_diag = [], [], [], 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:  # keep the pair only where the curvature along s is positive
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)
                if "al" not in state:
                    state["al"] = [None] * history_size
                d = self._direction(flat_grad, old_dirs, old_stps, ro, H_diag, state["al"])

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.clone()
            else:
                prev_flat_grad.copy_(flat_grad)
            prev_loss = loss

            # the first step is scaled down by the gradient's size: there is no curvature estimate yet
            t = min(1.0, 1.0 / flat_grad.abs().sum()) * lr if state["n_iter"] == 1 else lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:  # not a descent direction
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                start = [param._data.copy() for param in self._params]
                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    lambda step: self._directional_evaluate(closure, start, step, d), t, d, loss, flat_grad, gtd,
                    max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = flat_grad.abs().max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:  # the last iteration's loss is left for the next step to compute
                    loss = float(self._evaluate(closure))
                    flat_grad = self._gather_flat_grad()
                    opt_cond = flat_grad.abs().max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if (n_iter == max_iter or current_evals >= max_eval or opt_cond
                    or (d * t).abs().max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change):
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss
