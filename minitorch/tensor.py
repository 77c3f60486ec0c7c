"""``Tensor``: an array that remembers how it was made.

A Tensor holds one backend array (``_data``: NumPy on the CPU, CuPy on a GPU),
plus what autograd needs: ``requires_grad``, ``grad``, ``grad_fn`` (the node
of the op that made it, see ``autograd/function.py``) and a version counter
shared with its views, which in-place ops bump.

The math lives in ``minitorch/ops/``: every method below that computes
something is a one-line binding to a function there.
"""
from __future__ import annotations

import copy as _copy
import numbers

import numpy

from minitorch import backend
from minitorch.autograd import engine, grad_mode, views
from minitorch.autograd.function import VersionCounter


class Size(tuple):
    """A tensor's shape: a tuple of ints (``torch.Size``)."""

    def __repr__(self):
        return f"minitorch.Size({list(self)})"

    def numel(self) -> int:
        result = 1
        for n in self:
            result *= n
        return result

    def __getitem__(self, item):
        result = super().__getitem__(item)
        return Size(result) if isinstance(item, slice) else result

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, times):
        return Size(tuple(self) * times)

    __rmul__ = __mul__


class Tensor:
    """A multi-dimensional array with define-by-run autograd (``torch.Tensor``)."""

    # Defaults shared by all tensors until one sets its own (keeps creating a tensor cheap).
    _grad_fn = None
    _output_nr = 0
    _grad = None
    _base = None
    _view_info = None   # on a view: how to make it again from _base (autograd/views.py)
    _grad_accumulator = None
    _hooks = ()
    _post_accumulate_hooks = ()
    _retains_grad = False
    __array_ufunc__ = None  # numpy_scalar * tensor calls Tensor.__rmul__ instead of making an array

    def __init__(self, *args, device=None):
        """The legacy constructor: ``Tensor([1, 2])`` (data, default dtype) or ``Tensor(2, 3)`` (a shape)."""
        dev = backend.as_device(device)
        numpy_dtype = backend.get_default_dtype().numpy_dtype
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            data = args[0]._data.astype(numpy_dtype) if isinstance(args[0], Tensor) else args[0]
            array = backend.asarray(data, numpy_dtype, dev)
        else:
            array = backend.module_for(dev).empty(tuple(int(n) for n in args), dtype=numpy_dtype)
        self._data = array
        self._requires_grad = False
        self._version = VersionCounter()

    @classmethod
    def _wrap(cls, data, requires_grad=False, grad_fn=None, output_nr=0):
        """A Tensor around the array ``data`` (no copy, no checks): how every op makes its results."""
        tensor = object.__new__(cls)
        tensor._data = data
        tensor._requires_grad = requires_grad
        if grad_fn is not None:
            tensor._grad_fn = grad_fn
            tensor._output_nr = output_nr
        tensor._version = VersionCounter()
        return tensor

    @staticmethod
    def _make_subclass(cls, data: "Tensor", require_grad: bool = False):
        """A ``cls`` instance sharing ``data``'s array and version counter (how ``Parameter`` is made)."""
        tensor = cls._wrap(data._data, False)
        tensor._version = data._version
        tensor.requires_grad = require_grad
        return tensor

    # -- attributes -----------------------------------------------------------------------

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    @property
    def dtype(self) -> backend.dtype:
        return backend.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> backend.device:
        return backend.device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind in backend.FLOATING_KINDS

    def is_complex(self) -> bool:
        return False

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)

    def stride(self, dim=None):
        if self._data.size == 0:  # NumPy gives empty arrays zero strides, PyTorch row-major ones
            strides = tuple(int(numpy.prod([max(n, 1) for n in self._data.shape[i + 1:]]))
                            for i in range(self._data.ndim))
        else:
            strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim)]

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def data_ptr(self) -> int:
        if isinstance(self._data, numpy.ndarray):
            return self._data.__array_interface__["data"][0]
        return self._data.data.ptr

    def untyped_storage_base(self):
        """The array this tensor's memory belongs to (for checking whether two tensors share memory)."""
        array = self._data
        while getattr(array, "base", None) is not None:
            array = array.base
        return array

    @property
    def T(self) -> "Tensor":
        return shape_ops.permute(self, *reversed(range(self._data.ndim)))

    @property
    def mT(self) -> "Tensor":
        if self._data.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got "
                               f"{self._data.ndim}-D tensor.")
        return shape_ops.transpose(self, -2, -1)

    # -- autograd state ---------------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        if self._view_info is not None:
            return views.view_requires_grad(self)
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool):
        if self.grad_fn is not None and not value:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use a "
                               "computed variable in a subgraph that doesn't require differentiation use "
                               "var_no_grad = var.detach().")
        if value and self._data.dtype.kind not in backend.FLOATING_KINDS:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self):
        """The node of the op that made this tensor (None for a leaf)."""
        if self._view_info is not None and self._view_info.version != self._version.value:
            views.refresh_view(self)  # modified in place through its base or another view
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self):
        if self._grad is None and self._grad_fn is not None and not self._retains_grad:
            import warnings
            warnings.warn("The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                          "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
                          "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor.",
                          UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"assigned grad has data of a different size: expected {list(self.shape)}, "
                                   f"got {list(value.shape)}")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: expected {self.dtype}, "
                                   f"got {value.dtype}")
            if value.device != self.device:
                raise RuntimeError(f"assigned grad has data located on a different device: expected "
                                   f"{self.device}, got {value.device}")
        self._grad = value

    @property
    def data(self) -> "Tensor":
        """This tensor's memory, detached from the graph, with a version counter of its own: changes
        made through ``.data`` are invisible to autograd. Assigning replaces the memory."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value: "Tensor"):
        self._data = value._data

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def _version_number(self) -> int:
        return self._version.value

    def _is_view(self) -> bool:
        return self._base is not None

    def _gradient_edge(self):
        """(node, output_nr): where a gradient for this tensor goes in the graph."""
        grad_fn = self.grad_fn
        if grad_fn is not None:
            return grad_fn, self._output_nr
        return engine.gradient_edge(self)  # a leaf: its AccumulateGrad node

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Gradients of this tensor with respect to the leaves, added into their ``.grad``."""
        from minitorch import autograd
        autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        """``hook(grad)`` is called with this tensor's gradient; it may return a replacement."""
        from minitorch.autograd.function import RemovableHandle
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self._grad_fn._add_pre_hook(self._output_nr, hook)
        if not self._hooks:
            self._hooks = {}
        return RemovableHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor)`` runs after a gradient was accumulated into this leaf's ``.grad``."""
        from minitorch.autograd.function import RemovableHandle
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if not self._post_accumulate_hooks:
            self._post_accumulate_hooks = {}
        return RemovableHandle(self._post_accumulate_hooks, hook)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` during backward (after its other hooks ran)."""
        import weakref
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        this = weakref.ref(self)

        def retain(grad):
            tensor = this()
            if tensor is not None:
                # clone() is recorded only under create_graph (the engine's grad mode)
                tensor._grad = grad.clone() if tensor._grad is None else tensor._grad + grad
        self._grad_fn._set_retain_grad_hook(self._output_nr, retain)
        self._retains_grad = True

    def detach(self) -> "Tensor":
        """The same memory (and version counter), cut from the graph."""
        result = Tensor._wrap(self._data)
        result._version = self._version
        return result

    def detach_(self) -> "Tensor":
        if self._base is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._grad_fn = None
        self._output_nr = 0
        self._requires_grad = False
        return self

    # -- in-place ---------------------------------------------------------------------------

    def _inplace(self, result: "Tensor") -> "Tensor":
        """Make this tensor hold ``result``, as an in-place op does.

        The op was computed out of place; its values are written into this
        tensor's memory (so views see them) and the shared version counter is
        bumped (so backward notices saved copies went stale). When autograd
        records, this tensor's history continues from the op's node; for a view,
        its base's history changes too (``autograd/views.py``).
        """
        data = self._data
        if result._data.shape != data.shape:
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                               f"{list(result.shape)}")
        if result._data.dtype != data.dtype:
            if _category(result._data.dtype) > _category(data.dtype):
                raise RuntimeError(f"result type {_type_name(result.dtype)} can't be cast to the desired output "
                                   f"type {_type_name(self.dtype)}")
            result = result.to(self.dtype)
        if not data.flags.c_contiguous and any(stride == 0 and size > 1
                                               for stride, size in zip(data.strides, data.shape)):
            raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                               "single memory location. Please clone() the tensor before performing the operation.")
        recording = grad_mode.is_grad_enabled() and (result.requires_grad or self.requires_grad)
        if recording:
            views.check_inplace_allowed(self)
            if result._grad_fn is None:  # new values that depend on nothing (fill_, zero_, ...)
                result = views.Overwrite.apply(self, result)
            result._grad_fn._keep_original(self)
        if result._data is not data:
            data[...] = result._data
        self._version.bump()
        if recording:
            result._grad_fn._output_written_into(result, self)
            views.set_inplace_history(self, result)
        return self

    def add_(self, other, *, alpha=1):
        return self._inplace(elementwise.add(self, other, alpha=alpha))

    def sub_(self, other, *, alpha=1):
        return self._inplace(elementwise.sub(self, other, alpha=alpha))

    def mul_(self, other):
        return self._inplace(elementwise.mul(self, other))

    def div_(self, other, *, rounding_mode=None):
        return self._inplace(elementwise.div(self, other, rounding_mode=rounding_mode))

    def pow_(self, exponent):
        return self._inplace(elementwise.pow(self, exponent))

    def neg_(self):
        return self._inplace(elementwise.neg(self))

    def abs_(self):
        return self._inplace(elementwise.abs(self))

    def exp_(self):
        return self._inplace(elementwise.exp(self))

    def log_(self):
        return self._inplace(elementwise.log(self))

    def sqrt_(self):
        return self._inplace(elementwise.sqrt(self))

    def sigmoid_(self):
        return self._inplace(elementwise.sigmoid(self))

    def tanh_(self):
        return self._inplace(elementwise.tanh(self))

    def relu_(self):
        return self._inplace(elementwise.relu(self))

    def clamp_(self, min=None, max=None):
        return self._inplace(elementwise.clamp(self, min, max))

    clip_ = clamp_

    def floor_(self):
        return self._inplace(elementwise.floor(self))

    def ceil_(self):
        return self._inplace(elementwise.ceil(self))

    def round_(self, *, decimals=0):
        return self._inplace(elementwise.round(self, decimals=decimals))

    def masked_fill_(self, mask, value):
        return self._inplace(indexing.masked_fill(self, mask, value))

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return self._inplace(indexing.scatter(self, dim, index, src, value=value, reduce=reduce))

    def scatter_add_(self, dim, index, src):
        return self._inplace(indexing.scatter_add(self, dim, index, src))

    def copy_(self, src, non_blocking=False):
        """Write ``src`` (broadcast, cast and moved to this tensor's dtype and device) into this tensor."""
        if not isinstance(src, Tensor):
            raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
        source = conversion.to_device(src, self.device) if src.device != self.device else src
        if source._data.dtype != self._data.dtype:
            source = conversion.to_dtype(source, self.dtype)
        return self._inplace(views.Overwrite.apply(self, source))

    def fill_(self, value):
        if isinstance(value, Tensor):
            if value.dim() != 0:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                                   f"{value.dim()} dimensions.")
            return self.copy_(value)
        return self._inplace(creation.full_like(self, value))

    def zero_(self):
        return self._inplace(creation.zeros_like(self))

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        return self._inplace(creation.uniform_like(self, a, b, generator=generator))

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        return self._inplace(creation.normal_like(self, mean, std, generator=generator))

    def bernoulli_(self, p=0.5, *, generator=None):
        return self._inplace(creation.bernoulli(self, p, generator=generator))

    def random_(self, from_=None, to=None, *, generator=None):
        return self._inplace(creation.random_like(self, from_, to, generator=generator))

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __setitem__(self, index, value):
        indexing.setitem(self, index, value)

    # -- conversion -------------------------------------------------------------------------

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return backend.to_device(self._data, backend.CPU).tolist()

    def numpy(self, *, force=False):
        """The NumPy array behind this CPU tensor: the same memory, not a copy."""
        if force:
            return backend.to_device(self._data, backend.CPU)
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        if not isinstance(self._data, numpy.ndarray):
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to copy "
                            "the tensor to host memory first.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        array = backend.to_device(self._data, backend.CPU)
        return array if dtype is None else array.astype(dtype)

    def to(self, *args, **kwargs) -> "Tensor":
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``; ``copy=True`` forces a copy."""
        dev, dtype, copy = _parse_to(args, kwargs)
        if not copy and (dev is None or dev == self.device) and (dtype is None or dtype.numpy_dtype == self._data.dtype):
            return self  # nothing to convert: the same tensor
        return conversion.to_copy(self, dev, dtype)

    def type(self, dtype=None):
        if dtype is None:
            return f"minitorch.{_type_name(self.dtype)}Tensor"
        return self.to(dtype)

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.to(other.dtype)

    def float(self):
        return self.to(backend.float32)

    def double(self):
        return self.to(backend.float64)

    def half(self):
        return self.to(backend.float16)

    def bfloat16(self):
        return self.to(backend.bfloat16)

    def long(self):
        return self.to(backend.int64)

    def int(self):
        return self.to(backend.int32)

    def short(self):
        return self.to(backend.int16)

    def char(self):
        return self.to(backend.int8)

    def byte(self):
        return self.to(backend.uint8)

    def bool(self):
        return self.to(backend.bool_)

    def cpu(self):
        return self.to(backend.CPU)

    def cuda(self, device=None, non_blocking=False):
        return self.to(backend.as_device("cuda" if device is None else device))

    def is_pinned(self, device=None) -> bool:
        """False: NumPy arrays live in ordinary (pageable) host memory."""
        return False

    def pin_memory(self, device=None):
        """A CPU tensor ready to copy to the GPU. CuPy copies from ordinary host memory as well, so this
        returns the tensor itself; without a GPU it raises torch's error."""
        if not backend.cuda_is_available():
            raise RuntimeError("Cannot access accelerator device when none is available.")
        return self

    def clone(self, *, memory_format=None):
        return conversion.clone(self)

    def contiguous(self, memory_format=None):
        return conversion.contiguous(self)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return creation.tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                               requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return creation.zeros(*size, dtype=dtype or self.dtype, device=device or self.device,
                              requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return creation.ones(*size, dtype=dtype or self.dtype, device=device or self.device,
                             requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return creation.full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                             requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return creation.empty(*size, dtype=dtype or self.dtype, device=device or self.device,
                              requires_grad=requires_grad)

    # -- Python protocols -------------------------------------------------------------------

    def __repr__(self):
        from minitorch._printing import tensor_repr
        return tensor_repr(self)

    def __format__(self, format_spec):
        if self._data.ndim == 0:
            return self.item().__format__(format_spec)
        return repr(self)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()).item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self):
        return id(self)

    def __contains__(self, element):
        return bool((self == element).any())

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
                               "because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)._wrap(self._data.copy(), False)
        result._requires_grad = self._requires_grad
        if self._grad is not None:
            result._grad = _copy.deepcopy(self._grad, memo)
        result.__dict__.update({key: _copy.deepcopy(value, memo) for key, value in self.__dict__.items()
                                if key not in _TENSOR_STATE})
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_tensor, (backend.to_device(self._data, backend.CPU), str(self.device),
                                  self._requires_grad, type(self)))

    # -- operators --------------------------------------------------------------------------

    def __add__(self, other):
        return elementwise.add(self, other)

    def __radd__(self, other):
        return elementwise.add(other, self)

    def __sub__(self, other):
        return elementwise.sub(self, other)

    def __rsub__(self, other):
        return elementwise.sub(other, self)

    def __mul__(self, other):
        return elementwise.mul(self, other)

    def __rmul__(self, other):
        return elementwise.mul(other, self)

    def __truediv__(self, other):
        return elementwise.div(self, other)

    def __rtruediv__(self, other):
        # PyTorch computes ``number / tensor`` as ``tensor.reciprocal() * number`` (it rounds differently)
        return elementwise.mul(elementwise.reciprocal(self), other)

    def __floordiv__(self, other):
        return elementwise.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return elementwise.floor_divide(other, self)

    def __mod__(self, other):
        return elementwise.remainder(self, other)

    def __rmod__(self, other):
        return elementwise.remainder(other, self)

    def __pow__(self, exponent):
        return elementwise.pow(self, exponent)

    def __rpow__(self, base):
        return elementwise.pow(base, self)

    def __matmul__(self, other):
        return linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return linalg.matmul(other, self)

    def __neg__(self):
        return elementwise.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return elementwise.abs(self)

    def __invert__(self):
        return elementwise.bitwise_not(self)

    def __and__(self, other):
        return elementwise.bitwise_and(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return elementwise.bitwise_or(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return elementwise.bitwise_xor(self, other)

    __rxor__ = __xor__

    def __eq__(self, other):
        return elementwise.eq(self, other)

    def __ne__(self, other):
        return elementwise.ne(self, other)

    def __lt__(self, other):
        return elementwise.lt(self, other)

    def __le__(self, other):
        return elementwise.le(self, other)

    def __gt__(self, other):
        return elementwise.gt(self, other)

    def __ge__(self, other):
        return elementwise.ge(self, other)

    def __getitem__(self, index):
        return indexing.getitem(self, index)

    # -- elementwise (ops/elementwise.py) ---------------------------------------------------

    def add(self, other, *, alpha=1):
        return elementwise.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return elementwise.sub(self, other, alpha=alpha)

    subtract = sub

    def mul(self, other):
        return elementwise.mul(self, other)

    multiply = mul

    def div(self, other, *, rounding_mode=None):
        return elementwise.div(self, other, rounding_mode=rounding_mode)

    divide = div
    true_divide = div

    def floor_divide(self, other):
        return elementwise.floor_divide(self, other)

    def remainder(self, other):
        return elementwise.remainder(self, other)

    def fmod(self, other):
        return elementwise.fmod(self, other)

    def pow(self, exponent):
        return elementwise.pow(self, exponent)

    def neg(self):
        return elementwise.neg(self)

    negative = neg

    def abs(self):
        return elementwise.abs(self)

    absolute = abs

    def sign(self):
        return elementwise.sign(self)

    def exp(self):
        return elementwise.exp(self)

    def log(self):
        return elementwise.log(self)

    def log2(self):
        return elementwise.log2(self)

    def log10(self):
        return elementwise.log10(self)

    def log1p(self):
        return elementwise.log1p(self)

    def expm1(self):
        return elementwise.expm1(self)

    def sqrt(self):
        return elementwise.sqrt(self)

    def rsqrt(self):
        return elementwise.rsqrt(self)

    def square(self):
        return elementwise.square(self)

    def reciprocal(self):
        return elementwise.reciprocal(self)

    def sin(self):
        return elementwise.sin(self)

    def cos(self):
        return elementwise.cos(self)

    def tan(self):
        return elementwise.tan(self)

    def tanh(self):
        return elementwise.tanh(self)

    def sigmoid(self):
        return elementwise.sigmoid(self)

    def relu(self):
        return elementwise.relu(self)

    def clamp(self, min=None, max=None):
        return elementwise.clamp(self, min, max)

    clip = clamp

    def clamp_min(self, min):
        return elementwise.clamp(self, min, None)

    def clamp_max(self, max):
        return elementwise.clamp(self, None, max)

    def maximum(self, other):
        return elementwise.maximum(self, other)

    def minimum(self, other):
        return elementwise.minimum(self, other)

    def where(self, condition, other):
        return elementwise.where(condition, self, other)

    def eq(self, other):
        return elementwise.eq(self, other)

    def ne(self, other):
        return elementwise.ne(self, other)

    def lt(self, other):
        return elementwise.lt(self, other)

    def le(self, other):
        return elementwise.le(self, other)

    def gt(self, other):
        return elementwise.gt(self, other)

    def ge(self, other):
        return elementwise.ge(self, other)

    def equal(self, other) -> bool:
        return self._data.shape == other._data.shape and bool((self._data == other._data).all())

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        return bool(self.isclose(other, rtol, atol, equal_nan).all())

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return elementwise.isclose(self, other, rtol, atol, equal_nan)

    def logical_and(self, other):
        return elementwise.logical_and(self, other)

    def logical_or(self, other):
        return elementwise.logical_or(self, other)

    def logical_xor(self, other):
        return elementwise.logical_xor(self, other)

    def logical_not(self):
        return elementwise.logical_not(self)

    def bitwise_not(self):
        return elementwise.bitwise_not(self)

    def bitwise_and(self, other):
        return elementwise.bitwise_and(self, other)

    def bitwise_or(self, other):
        return elementwise.bitwise_or(self, other)

    def bitwise_xor(self, other):
        return elementwise.bitwise_xor(self, other)

    def floor(self):
        return elementwise.floor(self)

    def ceil(self):
        return elementwise.ceil(self)

    def round(self, *, decimals=0):
        return elementwise.round(self, decimals=decimals)

    def trunc(self):
        return elementwise.trunc(self)

    def erf(self):
        return activation.erf(self)

    def isnan(self):
        return elementwise.isnan(self)

    def isinf(self):
        return elementwise.isinf(self)

    def isfinite(self):
        return elementwise.isfinite(self)

    # -- reductions (ops/reduction.py) ------------------------------------------------------

    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return reduction.sum(self, dim, keepdim, dtype=dtype)

    def sum_to_size(self, *size):
        return reduction.sum_to_size(self, *size)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return reduction.mean(self, dim, keepdim, dtype=dtype)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return reduction.prod(self, dim, keepdim, dtype=dtype)

    def max(self, dim=None, keepdim=False):
        return reduction.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return reduction.min(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return reduction.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return reduction.argmin(self, dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        return reduction.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return reduction.amin(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return reduction.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return reduction.std(self, dim, unbiased, keepdim, correction=correction)

    def logsumexp(self, dim, keepdim=False):
        return reduction.logsumexp(self, dim, keepdim)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return reduction.norm(self, p, dim, keepdim, dtype=dtype)

    def cumsum(self, dim, *, dtype=None):
        return reduction.cumsum(self, dim, dtype=dtype)

    def all(self, dim=None, keepdim=False):
        return reduction.all(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return reduction.any(self, dim, keepdim)

    def softmax(self, dim, dtype=None):
        return reduction.softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim, dtype=None):
        return reduction.log_softmax(self, dim, dtype=dtype)

    # -- shape (ops/shape.py) ---------------------------------------------------------------

    def view(self, *shape_or_dtype):
        return shape_ops.view(self, *shape_or_dtype)

    def view_as(self, other):
        return shape_ops.view(self, *other.shape)

    def reshape(self, *new_shape):
        return shape_ops.reshape(self, *new_shape)

    def reshape_as(self, other):
        return shape_ops.reshape(self, *other.shape)

    def permute(self, *dims):
        return shape_ops.permute(self, *dims)

    def transpose(self, dim0, dim1):
        return shape_ops.transpose(self, dim0, dim1)

    swapaxes = transpose
    swapdims = transpose

    def t(self):
        return shape_ops.t(self)

    def movedim(self, source, destination):
        return shape_ops.movedim(self, source, destination)

    moveaxis = movedim

    def squeeze(self, dim=None):
        return shape_ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return shape_ops.unsqueeze(self, dim)

    def expand(self, *sizes):
        return shape_ops.expand(self, *sizes)

    def expand_as(self, other):
        return shape_ops.expand(self, *other.shape)

    def repeat(self, *repeats):
        return shape_ops.repeat(self, *repeats)

    def flatten(self, start_dim=0, end_dim=-1):
        return shape_ops.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return shape_ops.unflatten(self, dim, sizes)

    def split(self, split_size_or_sections, dim=0):
        return shape_ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        return shape_ops.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return shape_ops.unbind(self, dim)

    def narrow(self, dim, start, length):
        return shape_ops.narrow(self, dim, start, length)

    def flip(self, *dims):
        return shape_ops.flip(self, *dims)

    def tril(self, diagonal=0):
        return shape_ops.tril(self, diagonal)

    def triu(self, diagonal=0):
        return shape_ops.triu(self, diagonal)

    # -- indexing (ops/indexing.py) ---------------------------------------------------------

    def gather(self, dim, index):
        return indexing.gather(self, dim, index)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        return indexing.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim, index, src):
        return indexing.scatter_add(self, dim, index, src)

    def index_select(self, dim, index):
        return indexing.index_select(self, dim, index)

    def masked_fill(self, mask, value):
        return indexing.masked_fill(self, mask, value)

    def masked_select(self, mask):
        return indexing.masked_select(self, mask)

    def nonzero(self, *, as_tuple=False):
        return indexing.nonzero(self, as_tuple=as_tuple)

    def index_put(self, indices, values, accumulate=False):
        return indexing.index_put(self, indices, values, accumulate)

    def index_put_(self, indices, values, accumulate=False):
        return self._inplace(indexing.index_put(self, indices, values, accumulate))

    # -- linear algebra (ops/linalg.py) -----------------------------------------------------

    def matmul(self, other):
        return linalg.matmul(self, other)

    def mm(self, other):
        return linalg.mm(self, other)

    def bmm(self, other):
        return linalg.bmm(self, other)

    def outer(self, other):
        return linalg.outer(self, other)

    def dot(self, other):
        return linalg.dot(self, other)


_TENSOR_STATE = {"_data", "_requires_grad", "_grad_fn", "_output_nr", "_grad", "_version", "_base", "_view_info",
                 "_grad_accumulator", "_hooks", "_post_accumulate_hooks", "_retains_grad"}


def _rebuild_tensor(array, device, requires_grad, cls=Tensor):
    """Unpickling (and multiprocessing) rebuilds a tensor from its CPU array."""
    tensor = cls._wrap(backend.to_device(array, backend.as_device(device)))
    tensor._requires_grad = requires_grad
    return tensor


def _wrap_dim(dim: int, ndim: int) -> int:
    """A possibly negative dim as an index, with PyTorch's IndexError when out of range."""
    low, high = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not low <= dim <= high:
        raise IndexError(f"Dimension out of range (expected to be in range of [{low}, {high}], but got {dim})")
    return dim % max(ndim, 1)


def _category(numpy_dtype) -> int:
    return {"b": 0, "u": 1, "i": 1, "f": 2, "V": 2}[numpy_dtype.kind]  # "V": bfloat16


def _type_name(dtype) -> str:
    """PyTorch's scalar type names, used in its error messages: Float, Long, Bool ..."""
    return {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double", "int8": "Char", "int16": "Short",
            "int32": "Int", "int64": "Long", "uint8": "Byte", "bool": "Bool"}[dtype.name]


def _parse_to(args, kwargs):
    """The (device, dtype, copy) that a ``Tensor.to`` call asks for."""
    dev = kwargs.get("device")
    dtype = kwargs.get("dtype")
    copy = kwargs.get("copy", False)
    for arg in args:
        if isinstance(arg, backend.dtype):
            dtype = arg
        elif isinstance(arg, Tensor):
            dev, dtype = arg.device, arg.dtype
        elif isinstance(arg, bool):
            continue  # non_blocking
        elif arg is not None:
            dev = arg
    return (backend.as_device(dev) if dev is not None else None), dtype, copy


# The ops build on Tensor, so they are imported after it is defined.
from minitorch import creation  # noqa: E402
from minitorch.ops import activation, conversion, elementwise, indexing, linalg, reduction  # noqa: E402
from minitorch.ops import shape as shape_ops  # noqa: E402
