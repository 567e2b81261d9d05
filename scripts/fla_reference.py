#!/usr/bin/python3
"""A reference for fla's DeltaNetForCausalLM (flash-linear-attention) in plain PyTorch, without fla.

Written from fla's published model code (its delta_net layer and model, RMSNorm, FusedRMSNormGated,
ShortConvolution, GatedMLP, l2norm and the naive recurrent delta rule), with the same parameter names,
so that its Hugging Face directories load in fla's DeltaNetForCausalLM.from_pretrained and in
fastweights. Runs with Debian's python3-torch:

  /usr/bin/python3 scripts/fla_reference.py fixtures test/fixtures/fla   # write the test models
  /usr/bin/python3 scripts/fla_reference.py logits DIR 5,17,3            # logits of a directory's model as JSON
  /usr/bin/python3 scripts/fla_reference.py logits DIR 5,17,3 OUT.json   # the same into a file, with the ids
  /usr/bin/python3 scripts/fla_reference.py bench DIR 512 64 2             # PyTorch-CPU speed: prompt, decoded tokens, threads

docs/pretrained.md says what each step is and how fastweights names it.
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

# fla's DeltaNetConfig defaults.
DEFAULTS = {
    "attn_mode": "chunk", "hidden_size": 2048, "expand_k": 1, "expand_v": 1, "use_gate": False,
    "use_short_conv": True, "allow_neg_eigval": False, "conv_size": 4, "use_beta": True,
    "use_output_norm": True, "num_heads": 16, "qk_norm": "l2", "qk_activation": "silu",
    "max_position_embeddings": 2048, "hidden_ratio": 4, "intermediate_size": None, "hidden_act": "swish",
    "num_hidden_layers": 24, "norm_eps": 1e-6, "attn": None, "use_cache": True, "pad_token_id": None,
    "bos_token_id": 1, "eos_token_id": 2, "tie_word_embeddings": False, "initializer_range": 0.02,
    "fuse_norm": True, "fuse_swiglu": True, "fuse_cross_entropy": True, "fuse_linear_cross_entropy": False,
    "use_l2warp": False, "vocab_size": 32000, "attnres_block_size": None,
}


def resolved(config):
    c = dict(DEFAULTS)
    c.update(config)
    c["key_dim"] = int(c["hidden_size"] * c["expand_k"])
    c["value_dim"] = int(c["hidden_size"] * c["expand_v"])
    c["head_k_dim"] = c["key_dim"] // c["num_heads"]
    c["head_v_dim"] = c["value_dim"] // c["num_heads"]
    if c["intermediate_size"] is None:
        ratio = 4 if c["hidden_ratio"] is None else c["hidden_ratio"]
        size = int(c["hidden_size"] * ratio * 2 / 3)
        c["intermediate_size"] = 256 * ((size + 256 - 1) // 256)
    return c


# ----------------------------------------------------------------------------------------------
# The model, as functions of a state dict {name: tensor}.

# When set, every layer's output is rounded to bfloat16, as fla's modules return bf16 tensors for a
# bf16 model while computing inside in float32: an emulation of what fla gives on a GPU in bf16.
ROUND_TO_BF16 = False


def r(x):
    return x.to(torch.bfloat16).to(x.dtype) if ROUND_TO_BF16 else x

def rms_norm(x, weight, eps):
    return r(x * torch.rsqrt(x.square().mean(-1, keepdim=True) + eps) * weight)


def l2norm(x, eps=1e-6):
    # fla's l2norm kernel: x / sqrt(sum(x^2) + eps)
    return x * torch.rsqrt(x.square().sum(-1, keepdim=True) + eps)


def short_conv(x, weight, activation):
    """Causal depthwise convolution; x [B, T, D], weight [D, 1, W] (nn.Conv1d with padding W - 1)."""
    T, W = x.shape[1], weight.shape[-1]
    y = F.conv1d(x.transpose(1, 2), weight, padding=W - 1, groups=x.shape[-1])[..., :T].transpose(1, 2)
    return r(F.silu(y) if activation else y)


def delta_rule_recurrence(q, k, v, beta):
    """fla's naive recurrent delta rule; q, k [B, H, T, dk], v [B, H, T, dv], beta [B, H, T]."""
    b, h, l, d_k = q.shape
    S = torch.zeros(b, h, d_k, v.shape[-1], dtype=v.dtype)
    q = q * (d_k ** -0.5)
    o = torch.zeros_like(v)
    for i in range(l):
        _k, _q = k[:, :, i], q[:, :, i]
        _v = (v[:, :, i] - (S * _k[..., None]).sum(-2)) * beta[:, :, i, None]
        S = S + _k.unsqueeze(-1) * _v.unsqueeze(-2)
        o[:, :, i] = torch.einsum("bhd,bhdm->bhm", _q, S)
    return o


def qk_features(c, t):
    """The activation (relu, elu + 1; silu is applied with the convolution) and the norm of q or k, per head."""
    if c["qk_activation"] == "relu":
        t = t.relu()
    elif c["qk_activation"] == "elu":
        t = F.elu(t) + 1.0
    return t / t.sum(-1, keepdim=True) if c["qk_norm"] == "sum" else l2norm(t)


def delta_net_layer(c, p, prefix, x):
    B, T, _ = x.shape
    lin = lambda name, inp: r(inp @ p[prefix + name + ".weight"].T)
    silu_qk = c["qk_activation"] == "silu"
    q, k, v = lin("q_proj", x), lin("k_proj", x), lin("v_proj", x)
    if c["use_short_conv"]:
        q = short_conv(q, p[prefix + "q_conv1d.weight"], silu_qk)
        k = short_conv(k, p[prefix + "k_conv1d.weight"], silu_qk)
        v = short_conv(v, p[prefix + "v_conv1d.weight"], True)
    else:
        if silu_qk:
            q, k = r(F.silu(q)), r(F.silu(k))
        v = r(F.silu(v))
    H = c["num_heads"]
    heads = lambda t, d: t.reshape(B, T, H, d).transpose(1, 2)  # [B, H, T, d]
    q, k, v = heads(q, c["head_k_dim"]), heads(k, c["head_k_dim"]), heads(v, c["head_v_dim"])
    q, k = qk_features(c, q), qk_features(c, k)
    beta = torch.sigmoid(lin("b_proj", x)).transpose(1, 2) if c["use_beta"] else torch.ones(B, H, T, dtype=x.dtype)
    if c["allow_neg_eigval"]:
        beta = beta * 2.0
    o = r(delta_rule_recurrence(q, k, v, beta)).transpose(1, 2)  # [B, T, H, dv]
    o = rms_norm(o, p[prefix + "o_norm.weight"], c["norm_eps"])
    if c["use_gate"]:
        o = r(o * F.silu(lin("g_proj", x).reshape(B, T, H, c["head_v_dim"])))
    return lin("o_proj", o.reshape(B, T, c["value_dim"]))


def forward(c, p, ids):
    """ids: list of ints -> logits [T, vocab]."""
    x = p["model.embeddings.weight"][torch.tensor([ids])]
    for i in range(c["num_hidden_layers"]):
        pre = f"model.layers.{i}."
        x = r(x + delta_net_layer(c, p, pre + "attn.", rms_norm(x, p[pre + "attn_norm.weight"], c["norm_eps"])))
        h = rms_norm(x, p[pre + "mlp_norm.weight"], c["norm_eps"])
        gate, up = r(h @ p[pre + "mlp.gate_proj.weight"].T), r(h @ p[pre + "mlp.up_proj.weight"].T)
        x = r(x + r(r(F.silu(gate) * up) @ p[pre + "mlp.down_proj.weight"].T))
    x = rms_norm(x, p["model.norm.weight"], c["norm_eps"])
    head = p["model.embeddings.weight"] if c["tie_word_embeddings"] else p["lm_head.weight"]
    return r(x @ head.T)[0]


def greedy(c, p, prompt, n):
    """Greedy continuation by recomputing the whole text each step (exact by definition), with the
    smallest gap between the two best logits along the way (a tie could go either way elsewhere)."""
    ids, gap = list(prompt), math.inf
    for _ in range(n):
        last = forward(c, p, ids)[-1]
        top = torch.topk(last, 2).values
        gap = min(gap, float(top[0] - top[1]))
        ids.append(int(torch.argmax(last)))
    return ids[len(prompt):], gap


# ----------------------------------------------------------------------------------------------
# Random weights with fla's names and shapes.

def state_dict_shapes(c):
    hidden, shapes = c["hidden_size"], {}
    shapes["model.embeddings.weight"] = [c["vocab_size"], hidden]
    for i in range(c["num_hidden_layers"]):
        pre = f"model.layers.{i}."
        shapes[pre + "attn_norm.weight"] = [hidden]
        a = pre + "attn."
        shapes[a + "q_proj.weight"] = [c["key_dim"], hidden]
        shapes[a + "k_proj.weight"] = [c["key_dim"], hidden]
        shapes[a + "v_proj.weight"] = [c["value_dim"], hidden]
        if c["use_beta"]:
            shapes[a + "b_proj.weight"] = [c["num_heads"], hidden]
        if c["use_short_conv"]:
            shapes[a + "q_conv1d.weight"] = [c["key_dim"], 1, c["conv_size"]]
            shapes[a + "k_conv1d.weight"] = [c["key_dim"], 1, c["conv_size"]]
            shapes[a + "v_conv1d.weight"] = [c["value_dim"], 1, c["conv_size"]]
        if c["use_gate"]:
            shapes[a + "g_proj.weight"] = [c["value_dim"], hidden]
        shapes[a + "o_norm.weight"] = [c["head_v_dim"]]
        shapes[a + "o_proj.weight"] = [hidden, c["value_dim"]]
        shapes[pre + "mlp_norm.weight"] = [hidden]
        shapes[pre + "mlp.gate_proj.weight"] = [c["intermediate_size"], hidden]
        shapes[pre + "mlp.up_proj.weight"] = [c["intermediate_size"], hidden]
        shapes[pre + "mlp.down_proj.weight"] = [hidden, c["intermediate_size"]]
    shapes["model.norm.weight"] = [hidden]
    if not c["tie_word_embeddings"]:
        shapes["lm_head.weight"] = [c["vocab_size"], hidden]
    return shapes


def random_weights(c, seed):
    """Larger than fla's 0.02 initialisation, and norms away from 1, so that every weight shows in the logits."""
    g = torch.Generator().manual_seed(seed)
    p = {}
    for name, shape in state_dict_shapes(c).items():
        if name.endswith("norm.weight"):
            p[name] = 1.0 + 0.2 * torch.randn(shape, generator=g, dtype=torch.float64)
        else:
            std = 0.5 if "embeddings" in name or "conv1d" in name else 1.0 / math.sqrt(shape[-1])
            p[name] = std * torch.randn(shape, generator=g, dtype=torch.float64)
    return p


# ----------------------------------------------------------------------------------------------
# safetensors by hand: 8-byte little-endian header length, JSON header padded with spaces to a
# multiple of 8, then the tensors' little-endian bytes.

DTYPES = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16"}
FROM_NAME = {v: k for k, v in DTYPES.items()}


def tensor_bytes(t):
    if t.dtype == torch.bfloat16:
        return t.contiguous().view(torch.int16).numpy().astype("<i2").tobytes()
    return t.contiguous().numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()


def write_safetensors(path, tensors, metadata=None):
    header, offset, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        t = tensors[name]
        data = tensor_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        chunk = bytearray(raw[8 + n + begin:8 + n + end])
        dtype = FROM_NAME[info["dtype"]]
        if dtype == torch.bfloat16:
            t = torch.frombuffer(chunk, dtype=torch.int16).view(torch.bfloat16)
        else:
            t = torch.frombuffer(chunk, dtype=dtype)
        out[name] = t.reshape(info["shape"]).clone()
    return out


def read_directory(directory):
    with open(os.path.join(directory, "config.json")) as f:
        config = json.load(f)
    index = os.path.join(directory, "model.safetensors.index.json")
    weights = {}
    if os.path.exists(index):
        with open(index) as f:
            for shard in sorted(set(json.load(f)["weight_map"].values())):
                weights.update(read_safetensors(os.path.join(directory, shard)))
    else:
        weights = read_safetensors(os.path.join(directory, "model.safetensors"))
    return config, weights


def write_directory(directory, config, weights, dtype, shards=1):
    os.makedirs(directory, exist_ok=True)
    full = dict(config, model_type="delta_net", architectures=["DeltaNetForCausalLM"],
                torch_dtype={torch.float32: "float32", torch.bfloat16: "bfloat16"}[dtype])
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(full, f, indent=2, sort_keys=True)
        f.write("\n")
    cast = {name: t.to(dtype) for name, t in weights.items()}
    if shards == 1:
        write_safetensors(os.path.join(directory, "model.safetensors"), cast, {"format": "pt"})
        return
    names = list(cast)
    per = math.ceil(len(names) / shards)
    weight_map, total = {}, 0
    for s in range(shards):
        file = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        part = {n: cast[n] for n in names[s * per:(s + 1) * per]}
        write_safetensors(os.path.join(directory, file), part, {"format": "pt"})
        for n, t in part.items():
            weight_map[n] = file
            total += t.numel() * t.element_size()
    with open(os.path.join(directory, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
        f.write("\n")


# ----------------------------------------------------------------------------------------------
# The test models.

TINY = {"vocab_size": 256, "hidden_size": 32, "num_hidden_layers": 2, "num_heads": 2, "intermediate_size": 64}

CASES = {
    # fla-hub's defaults: silu, l2, short convolutions, output RMSNorm.
    "default": ({}, torch.float32, 1),
    # the gated output norm, and beta in (0, 2).
    "gate": ({"use_gate": True, "allow_neg_eigval": True}, torch.float32, 1),
    # the paper's Delta Network as fla configures it: elu + 1, sum normalisation, no convolution.
    "paper": ({"qk_activation": "elu", "qk_norm": "sum", "use_short_conv": False}, torch.float32, 1),
    # tied embeddings, relu, no beta (beta = 1), a 3-tap convolution.
    "tied": ({"tie_word_embeddings": True, "qk_activation": "relu", "use_beta": False, "conv_size": 3}, torch.float32, 1),
    # bf16 weights; identity q/k activation; the MLP width by fla's rounding rule (hidden_ratio 2: 42 -> 256).
    "bf16": ({"qk_activation": "identity", "intermediate_size": None, "hidden_ratio": 2}, torch.bfloat16, 1),
    # the default model in two shards with model.safetensors.index.json.
    "sharded": ({}, torch.float32, 2),
}

INPUT_IDS = [1, 17, 200, 5, 99, 31, 255, 0, 64, 128, 7, 3]
PROMPT = [1, 42, 7]
NEW_TOKENS = 12


def write_fixtures(root):
    for i, (name, (extra, dtype, shards)) in enumerate(CASES.items()):
        config = dict(TINY, **extra)
        c = resolved(config)
        weights = random_weights(c, seed=1000 + i)
        directory = os.path.join(root, name)
        write_directory(directory, config, weights, dtype, shards)
        # What the stored weights are, computed in float64: the answer any implementation should give.
        stored = {n: t.to(dtype).to(torch.float64) for n, t in weights.items()}
        logits = forward(c, stored, INPUT_IDS)
        continuation, gap = greedy(c, stored, PROMPT, NEW_TOKENS)
        expected = {
            "input_ids": INPUT_IDS,
            "logits": [[float(f"{v:.9g}") for v in row] for row in logits.tolist()],
            "greedy": {"prompt": PROMPT, "new_tokens": continuation, "smallest_top2_gap": gap},
        }
        if dtype == torch.bfloat16:
            # fla's bf16 arithmetic, emulated (ROUND_TO_BF16), for the looser bound it allows.
            global ROUND_TO_BF16
            ROUND_TO_BF16 = True
            low = {n: t.to(dtype).to(torch.float32) for n, t in weights.items()}
            expected["logits_bf16_arithmetic"] = [[float(f"{v:.5g}") for v in row] for row in forward(c, low, INPUT_IDS).tolist()]
            ROUND_TO_BF16 = False
        with open(os.path.join(directory, "expected.json"), "w") as f:
            json.dump(expected, f, separators=(",", ":"))
            f.write("\n")
        print(f"{directory}: {sum(t.numel() for t in weights.values()):,} parameters, top-2 gap {gap:.3g}")


# ----------------------------------------------------------------------------------------------
# Speed on the CPU (npm run bench -- --generate): the prompt through forward() (this script's
# full-sequence form, the naive recurrence), then one token at a time through decode_step, whose
# state per layer is the fast weights and the convolutions' last inputs. Weights in float32 (PyTorch's
# CPU matmuls are fastest there). Decoding starts from fresh states: its cost does not depend on them.

def decode_step(c, p, token, states):
    """One token through the model; states: per layer {"S": [H, dk, dv], "conv": {name: [W - 1, D]}}."""
    H, dk, dv, eps = c["num_heads"], c["head_k_dim"], c["head_v_dim"], c["norm_eps"]
    silu_qk = c["qk_activation"] == "silu"
    x = p["model.embeddings.weight"][token][None]  # [1, hidden]
    for i, state in enumerate(states):
        pre = f"model.layers.{i}."
        a = pre + "attn."
        h = rms_norm(x, p[pre + "attn_norm.weight"], eps)
        lin = lambda name, inp: inp @ p[a + name + ".weight"].T
        qkv = {"q": lin("q_proj", h), "k": lin("k_proj", h), "v": lin("v_proj", h)}
        for name, t in qkv.items():
            act = silu_qk if name != "v" else True
            if c["use_short_conv"]:
                window = torch.cat([state["conv"][name], t], 0)  # [W, D]
                state["conv"][name] = window[1:]
                t = (window * p[a + name + "_conv1d.weight"][:, 0, :].T).sum(0, keepdim=True)
            qkv[name] = F.silu(t) if act else t
        q, k, v = qkv["q"].reshape(H, dk), qkv["k"].reshape(H, dk), qkv["v"].reshape(H, dv)
        q, k = qk_features(c, q), qk_features(c, k)
        beta = torch.sigmoid(lin("b_proj", h))[0] if c["use_beta"] else torch.ones(H)
        if c["allow_neg_eigval"]:
            beta = beta * 2.0
        S = state["S"]
        v_new = (v - torch.einsum("hd,hdm->hm", k, S)) * beta[:, None]
        S += k[:, :, None] * v_new[:, None, :]
        o = rms_norm(torch.einsum("hd,hdm->hm", q * dk ** -0.5, S), p[a + "o_norm.weight"], eps)
        if c["use_gate"]:
            o = o * F.silu(lin("g_proj", h).reshape(H, dv))
        x = x + lin("o_proj", o.reshape(1, -1))
        h = rms_norm(x, p[pre + "mlp_norm.weight"], eps)
        mlp = lambda name, inp: inp @ p[pre + "mlp." + name + ".weight"].T
        x = x + mlp("down_proj", F.silu(mlp("gate_proj", h)) * mlp("up_proj", h))
    x = rms_norm(x, p["model.norm.weight"], eps)
    head = p["model.embeddings.weight"] if c["tie_word_embeddings"] else p["lm_head.weight"]
    return (x @ head.T)[0]


def bench(directory, prompt_tokens, decode_tokens, threads):
    import resource
    import time
    torch.set_num_threads(threads)
    start = time.perf_counter()
    config, weights = read_directory(directory)
    c = resolved(config)
    p = {n: t.to(torch.float32) for n, t in weights.items()}
    del weights
    load = time.perf_counter() - start
    g = torch.Generator().manual_seed(1)
    prompt = torch.randint(3, c["vocab_size"], (prompt_tokens,), generator=g).tolist()
    with torch.no_grad():
        start = time.perf_counter()
        token = int(torch.argmax(forward(c, p, prompt)[-1]))
        prefill = time.perf_counter() - start
        W = c["conv_size"] - 1
        states = [{"S": torch.zeros(c["num_heads"], c["head_k_dim"], c["head_v_dim"]),
                   "conv": {"q": torch.zeros(W, c["key_dim"]), "k": torch.zeros(W, c["key_dim"]), "v": torch.zeros(W, c["value_dim"])}}
                  for _ in range(c["num_hidden_layers"])]
        token = int(torch.argmax(decode_step(c, p, token, states)))  # the first step, outside the clock
        start = time.perf_counter()
        for _ in range(decode_tokens):
            token = int(torch.argmax(decode_step(c, p, token, states)))
        decode = time.perf_counter() - start
    print(json.dumps({"loadSeconds": load, "prefillTokensPerSecond": prompt_tokens / prefill, "decodeTokensPerSecond": decode_tokens / decode,
                      "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "threads": threads, "torch": torch.__version__}))


def main(argv):
    if len(argv) == 3 and argv[1] == "fixtures":
        write_fixtures(argv[2])
    elif len(argv) in (4, 5) and argv[1] == "logits":
        config, weights = read_directory(argv[2])
        c = resolved(config)
        p = {n: t.to(torch.float64) for n, t in weights.items()}
        ids = [int(s) for s in argv[3].split(",")]
        logits = forward(c, p, ids).tolist()
        if len(argv) == 4:
            print(json.dumps(logits))
        else:
            # The layout of test/fixtures/fla/exported/reference.json.
            with open(argv[4], "w") as f:
                json.dump({"input_ids": ids, "logits": logits}, f)
                f.write("\n")
    elif len(argv) == 6 and argv[1] == "bench":
        bench(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
