"""Code written against tiktoken runs unchanged with `import tokcount as tiktoken`.

The same script runs twice in fresh interpreters, once importing pip's tiktoken (offline) and
once `import tokcount as tiktoken`; the outputs must be identical.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    '''
    IMPORT_LINE
    import pickle

    print(sorted(tiktoken.list_encoding_names()))
    enc = tiktoken.encoding_for_model("gpt-4o")
    print(enc.name, enc.n_vocab, enc.max_token_value, enc.eot_token)
    print(tiktoken.encoding_name_for_model("gpt-3.5-turbo"), tiktoken.model.MODEL_TO_ENCODING["gpt-4"])
    assert tiktoken.registry.get_encoding("o200k_base") is enc
    assert tiktoken.registry.ENCODINGS["o200k_base"] is enc
    print(callable(tiktoken.load.load_tiktoken_bpe), tiktoken.core.Encoding is tiktoken.Encoding)

    text = "Hello, world! Tokenize this: naïve café, 你好, 🙂, <|endoftext|>"
    tokens = enc.encode(text, allowed_special={"<|endoftext|>"})
    print(tokens)
    print(enc.decode(tokens) == text, len(tokens))
    print(enc.encode(text, disallowed_special=()))
    print(enc.encode_ordinary(text) == enc.encode(text, disallowed_special=()))
    try:
        enc.encode(text)
    except ValueError as e:
        print("ValueError:", str(e).splitlines()[0])
    print([enc.decode_single_token_bytes(t) for t in tokens[:5]])
    print(enc.decode_tokens_bytes(tokens[:3]), enc.decode_bytes(tokens[:3]))
    print(enc.decode_with_offsets(tokens[:6]))
    print(enc.encode_batch(["a b c", "d e f"], num_threads=2))
    print(enc.encode_ordinary_batch(["hello", "world"]))
    print(enc.decode_batch([[24912], [2375]]))
    print(enc.encode_single_token("hello"), enc.is_special_token(199999))
    print(sorted(enc.special_tokens_set))
    print(list(enc.encode_to_numpy("numpy too")))

    def num_tokens_from_messages(messages, model="gpt-4o-mini"):
        encoding = tiktoken.encoding_for_model(model)
        n = 0
        for message in messages:
            n += 3
            for key, value in message.items():
                n += len(encoding.encode(value))
                if key == "name":
                    n += 1
        return n + 3

    print(num_tokens_from_messages([{"role": "user", "content": "How many tokens is this?"}]))

    base = tiktoken.get_encoding("cl100k_base")
    custom = tiktoken.Encoding(
        name="cl100k_im",
        pat_str=base._pat_str,
        mergeable_ranks=base._mergeable_ranks,
        special_tokens={**base._special_tokens, "<|im_start|>": 100264, "<|im_end|>": 100265},
    )
    print(custom.encode("<|im_start|>user hi<|im_end|>", allowed_special="all"))
    print(pickle.loads(pickle.dumps(custom)).encode("<|im_end|>", allowed_special="all"))
    print(pickle.loads(pickle.dumps(base)).encode("pickled"))
    '''
)


def _run(import_line: str, env: dict[str, str]) -> str:
    code = SCRIPT.replace("IMPORT_LINE", import_line)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_tiktoken_code_runs_unchanged(tiktoken):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    ours = _run("import tokcount as tiktoken", env)
    theirs = _run("import tiktoken", env)
    assert ours == theirs
    assert "ValueError: Encountered text corresponding to disallowed special token" in ours
    assert len(ours.splitlines()) == 22  # every print ran


def test_from_imports():
    # The submodules tiktoken code imports from, under tokcount's name.
    from tokcount.core import Encoding, raise_disallowed_special_token  # noqa: F401
    from tokcount.load import load_tiktoken_bpe  # noqa: F401
    from tokcount.model import MODEL_PREFIX_TO_ENCODING, MODEL_TO_ENCODING  # noqa: F401
    from tokcount.registry import ENCODINGS, get_encoding  # noqa: F401

    assert get_encoding("gpt2").encode("hello world") == [31373, 995]
