#!/usr/bin/env python3
"""Writes the malformed-input corpus of tests/tests/malformed.rs into this directory.

Every case is a small file; `expectations.txt` (written by hand, checked by the test)
says which error each must produce. Rerun after changing a case:

    python3 tests/malformed/generate.py
"""

import os

HERE = os.path.dirname(os.path.abspath(__file__))

CORE = b"\0asm\x01\x00\x00\x00"
STAGED = b"\0asm\x01\x00SG"
FOUR_G = 0xFFFFFFFF


def leb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n == 0:
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def sleb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if (n == 0 and not b & 0x40) or (n == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def name(s):
    if isinstance(s, str):
        s = s.encode()
    return leb(len(s)) + s


def section(sid, payload):
    return bytes([sid]) + leb(len(payload)) + payload


def vec(items):
    return leb(len(items)) + b"".join(items)


def module(*sections):
    return CORE + b"".join(sections)


# Sections of a minimal module with one function `() -> ()`, for cases that break a body.
TYPE_VOID = section(1, vec([b"\x60\x00\x00"]))
FUNC_ONE = section(3, vec([b"\x00"]))


def code(*bodies):
    return section(10, vec([leb(len(b)) + b for b in bodies]))


def with_count(sid, count, rest=b""):
    """A section whose vector count is `count` but holds only `rest`."""
    return section(sid, leb(count) + rest)


cases = {}

# --- Container: magic, version, truncation -------------------------------------------
cases["empty.wasm"] = b""
cases["magic_only.wasm"] = b"\0asm"
cases["truncated_version.wasm"] = b"\0asm\x01\x00"
cases["bad_magic.wasm"] = b"\0asn\x01\x00\x00\x00"
cases["bad_version.wasm"] = b"\0asm\x02\x00\x00\x00"
cases["garbage.wasm"] = bytes(range(256))

# --- Sections --------------------------------------------------------------------------
cases["unknown_section_id_0x20.wasm"] = module(section(0x20, b"\x00"))
cases["unknown_section_id_0x7f.wasm"] = module(section(0x7F, b""))
cases["section_size_past_end.wasm"] = CORE + b"\x01" + leb(100) + b"\x00"
cases["section_size_leb_unterminated.wasm"] = CORE + b"\x01\x80\x80"
cases["section_size_leb_too_long.wasm"] = CORE + b"\x01\x80\x80\x80\x80\x80\x00"
cases["section_size_leb_too_large.wasm"] = CORE + b"\x01\xff\xff\xff\xff\x7f"
cases["section_size_4g.wasm"] = CORE + b"\x01" + leb(FOUR_G) + b"\x00"
cases["duplicate_type_section.wasm"] = module(TYPE_VOID, TYPE_VOID)
cases["sections_out_of_order.wasm"] = module(section(5, vec([b"\x00\x01"])), TYPE_VOID)
cases["section_trailing_bytes.wasm"] = module(section(1, vec([b"\x60\x00\x00"]) + b"\x00"))
cases["custom_section_name_past_end.wasm"] = module(section(0, leb(50) + b"abc"))
cases["custom_section_name_4g.wasm"] = module(section(0, leb(FOUR_G)))

# --- Absurd counts: a count of 4 billion must not allocate -------------------------------
for sid, label in [
    (1, "type"),
    (2, "import"),
    (3, "function"),
    (4, "table"),
    (5, "memory"),
    (6, "global"),
    (7, "export"),
    (9, "elem"),
    (11, "data"),
    (10, "code"),
]:
    cases[f"count_4g_{label}.wasm"] = module(with_count(sid, FOUR_G))
cases["count_4g_data_count.wasm"] = module(section(12, leb(FOUR_G)))
cases["count_4g_func_params.wasm"] = module(section(1, b"\x01\x60" + leb(FOUR_G)))
cases["count_4g_func_results.wasm"] = module(section(1, b"\x01\x60\x00" + leb(FOUR_G)))
cases["count_4g_locals.wasm"] = module(TYPE_VOID, FUNC_ONE, code(b"\x01" + leb(FOUR_G) + b"\x7f\x0b"))
cases["count_locals_overflow.wasm"] = module(
    TYPE_VOID, FUNC_ONE, code(b"\x02" + leb(0x80000000) + b"\x7f" + leb(0x80000000) + b"\x7e\x0b")
)
cases["count_4g_local_groups.wasm"] = module(TYPE_VOID, FUNC_ONE, code(leb(FOUR_G) + b"\x01\x7f\x0b"))
cases["count_4g_br_table.wasm"] = module(
    TYPE_VOID, FUNC_ONE, code(b"\x00\x41\x00\x0e" + leb(FOUR_G) + b"\x00\x00\x0b")
)
cases["count_4g_select_types.wasm"] = module(
    TYPE_VOID, FUNC_ONE, code(b"\x00\x41\x00\x41\x00\x41\x00\x1c" + leb(FOUR_G) + b"\x7f\x1a\x0b")
)
cases["count_4g_elem_items.wasm"] = module(
    TYPE_VOID, FUNC_ONE, section(4, vec([b"\x70\x00\x01"])), section(9, b"\x01\x00\x41\x00\x0b" + leb(FOUR_G))
)
cases["count_4g_name_map.wasm"] = module(
    TYPE_VOID, FUNC_ONE, code(b"\x00\x0b"), section(0, name("name") + b"\x01" + leb(5) + leb(FOUR_G) + b"\x00")
)
cases["string_len_4g.wasm"] = module(section(7, b"\x01" + leb(FOUR_G)))
cases["import_module_len_4g.wasm"] = module(section(2, b"\x01" + leb(FOUR_G) + b"m"))
cases["data_len_4g.wasm"] = module(
    section(5, vec([b"\x00\x01"])), section(11, b"\x01\x00\x41\x00\x0b" + leb(FOUR_G) + b"abc")
)
cases["body_size_4g.wasm"] = module(TYPE_VOID, FUNC_ONE, section(10, b"\x01" + leb(FOUR_G) + b"\x00\x0b"))
cases["type_index_4g.wasm"] = module(TYPE_VOID, section(3, vec([leb(FOUR_G)])))

# --- LEB128s ---------------------------------------------------------------------------
cases["i32_const_leb_too_long.wasm"] = module(
    section(1, vec([b"\x60\x00\x01\x7f"])), FUNC_ONE, code(b"\x00\x41\x80\x80\x80\x80\x80\x00\x0b")
)
cases["i32_const_leb_too_large.wasm"] = module(
    section(1, vec([b"\x60\x00\x01\x7f"])), FUNC_ONE, code(b"\x00\x41\xff\xff\xff\xff\x4f\x0b")
)
cases["i64_const_leb_too_long.wasm"] = module(
    section(1, vec([b"\x60\x00\x01\x7e"])), FUNC_ONE, code(b"\x00\x42" + b"\x80" * 10 + b"\x00\x0b")
)
cases["leb_unterminated_at_end.wasm"] = module(TYPE_VOID, FUNC_ONE) + b"\x0a\x06\x01\x04\x00\x41\x80\x80"
cases["memarg_offset_leb_too_large.wasm"] = module(
    TYPE_VOID, FUNC_ONE, section(5, vec([b"\x00\x01"])),
    code(b"\x00\x41\x00\x28\x02\xff\xff\xff\xff\x7f\x1a\x0b"),
)

# --- Function bodies ---------------------------------------------------------------------
cases["function_without_code.wasm"] = module(TYPE_VOID, FUNC_ONE)
cases["code_without_function.wasm"] = module(TYPE_VOID, code(b"\x00\x0b"))
cases["body_size_past_end.wasm"] = module(TYPE_VOID, FUNC_ONE) + b"\x0a\x05\x01\x10\x00\x0b"
cases["body_missing_end.wasm"] = module(TYPE_VOID, FUNC_ONE, code(b"\x00\x01"))
cases["body_trailing_after_end.wasm"] = module(TYPE_VOID, FUNC_ONE, code(b"\x00\x0b\x01"))
cases["invalid_opcode.wasm"] = module(TYPE_VOID, FUNC_ONE, code(b"\x00\xff\x0b"))
cases["invalid_prefixed_opcode.wasm"] = module(TYPE_VOID, FUNC_ONE, code(b"\x00\xfc\xff\x7f\x0b"))
cases["type_mismatch.wasm"] = module(TYPE_VOID, FUNC_ONE, code(b"\x00\x6a\x0b"))
cases["unbalanced_end.wasm"] = module(TYPE_VOID, FUNC_ONE, code(b"\x00\x0b\x0b"))
cases["br_depth_out_of_range.wasm"] = module(TYPE_VOID, FUNC_ONE, code(b"\x00\x0c\x05\x0b"))
cases["call_index_4g.wasm"] = module(TYPE_VOID, FUNC_ONE, code(b"\x00\x10" + leb(FOUR_G) + b"\x0b"))
cases["global_index_out_of_range.wasm"] = module(TYPE_VOID, FUNC_ONE, code(b"\x00\x23\x07\x1a\x0b"))
cases["local_index_out_of_range.wasm"] = module(TYPE_VOID, FUNC_ONE, code(b"\x00\x20\x00\x1a\x0b"))
cases["load_without_memory.wasm"] = module(TYPE_VOID, FUNC_ONE, code(b"\x00\x41\x00\x28\x02\x00\x1a\x0b"))
cases["alignment_too_large.wasm"] = module(
    TYPE_VOID, FUNC_ONE, section(5, vec([b"\x00\x01"])), code(b"\x00\x41\x00\x28\x03\x00\x1a\x0b")
)
cases["block_type_index_4g.wasm"] = module(TYPE_VOID, FUNC_ONE, code(b"\x00\x02" + sleb(0x7FFFFFFF) + b"\x0b\x0b"))
# --- Limits, segments, exports ----------------------------------------------------------------
cases["memory_too_large.wasm"] = module(section(5, vec([b"\x00" + leb(65537)])))
cases["memory_min_above_max.wasm"] = module(section(5, vec([b"\x01\x02\x01"])))
cases["memory_bad_flags.wasm"] = module(section(5, vec([b"\x08\x00"])))
cases["shared_memory.wasm"] = module(section(5, vec([b"\x03\x01\x01"])))
cases["table_min_above_max.wasm"] = module(section(4, vec([b"\x70\x01\x05\x01"])))
cases["table_min_4g.wasm"] = module(section(4, vec([b"\x70\x00" + leb(FOUR_G)])))
cases["table_bad_elem_type.wasm"] = module(section(4, vec([b"\x40\x00\x01"])))
cases["elem_bad_flags.wasm"] = module(section(9, b"\x01\x08"))
cases["data_bad_flags.wasm"] = module(section(5, vec([b"\x00\x01"])), section(11, b"\x01\x03"))
cases["data_count_mismatch.wasm"] = module(
    section(5, vec([b"\x00\x01"])), section(12, leb(2)), section(11, b"\x01\x01" + name("x"))
)
cases["start_index_out_of_range.wasm"] = module(section(8, leb(3)))
cases["start_with_params.wasm"] = module(
    section(1, vec([b"\x60\x01\x7f\x00"])), FUNC_ONE, section(8, leb(0)), code(b"\x00\x0b")
)
cases["duplicate_export.wasm"] = module(
    TYPE_VOID, FUNC_ONE, section(7, vec([name("f") + b"\x00\x00", name("f") + b"\x00\x00"])), code(b"\x00\x0b")
)
cases["export_name_not_utf8.wasm"] = module(
    TYPE_VOID, FUNC_ONE, section(7, vec([name(b"\xff\xfe") + b"\x00\x00"])), code(b"\x00\x0b")
)
cases["import_bad_kind.wasm"] = module(section(2, vec([name("m") + name("n") + b"\x09\x00"])))
cases["global_init_wrong_type.wasm"] = module(section(6, vec([b"\x7f\x00\x42\x00\x0b"])))
cases["global_init_not_constant.wasm"] = module(section(6, vec([b"\x7f\x00\x41\x00\x41\x01\x6e\x0b"])))
cases["global_init_missing_end.wasm"] = module(section(6, vec([b"\x7f\x00\x41\x00"])))

# --- Valid WebAssembly (a v128 global; once unsupported, now accepted) -----------------------
cases["simd_global.wasm"] = module(section(6, vec([b"\x7b\x00\xfd\x0c" + bytes(16) + b"\x0b"])))

# --- Valid WebAssembly, unsupported by stagec -----------------------------------------------
cases["tag_section.wasm"] = module(section(1, vec([b"\x60\x00\x00"])), section(13, vec([b"\x00\x00"])))
cases["tail_call.wasm"] = module(TYPE_VOID, FUNC_ONE, code(b"\x00\x12\x00\x0b"))

# --- Instantiation: valid, but too large to allocate ------------------------------------------
cases["instantiate_memory64_min_too_large.wasm"] = module(section(5, vec([b"\x04" + leb((1 << 20) + 1)])))
cases["instantiate_table_4g.wasm"] = module(section(4, vec([b"\x70\x00" + leb(FOUR_G)])))
cases["instantiate_data_out_of_bounds.wasm"] = module(
    section(5, vec([b"\x00\x01"])), section(11, b"\x01\x00\x41" + sleb(65535) + b"\x0b" + name("ab"))
)

# --- Staged binary (.swasm) --------------------------------------------------------------------
VALID_CORE = module(TYPE_VOID, FUNC_ONE, section(7, vec([name("f") + b"\x00\x00"])), code(b"\x00\x0b"))


def stage(kind, sname, body):
    return section(1, bytes([kind]) + name(sname) + body)


cases["staged_empty.swasm"] = b""
cases["staged_header_only.swasm"] = STAGED
cases["staged_truncated_header.swasm"] = STAGED[:6]
cases["staged_bad_magic.swasm"] = b"\0asn\x01\x00SG"
cases["staged_bad_version.swasm"] = b"\0asm\x01\x00SH"
cases["staged_core_version.swasm"] = CORE + stage(2, "m", VALID_CORE)
cases["staged_unknown_section_id.swasm"] = STAGED + section(2, b"\x00")
cases["staged_section_size_past_end.swasm"] = STAGED + b"\x01" + leb(1000) + b"\x02\x01m"
cases["staged_section_size_4g.swasm"] = STAGED + b"\x01" + leb(FOUR_G) + b"\x02"
cases["staged_section_size_leb_too_large.swasm"] = STAGED + b"\x01\xff\xff\xff\xff\x7f"
cases["staged_section_size_leb_unterminated.swasm"] = STAGED + b"\x01\x80\x80"
cases["staged_unknown_kind.swasm"] = STAGED + stage(3, "m", VALID_CORE)
cases["staged_missing_kind.swasm"] = STAGED + section(1, b"")
cases["staged_name_len_4g.swasm"] = STAGED + section(1, b"\x02" + leb(FOUR_G) + b"m")
cases["staged_name_not_utf8.swasm"] = STAGED + stage(2, b"\xff", VALID_CORE)
cases["staged_empty_module.swasm"] = STAGED + stage(2, "m", b"")
cases["staged_truncated_module.swasm"] = STAGED + stage(2, "m", VALID_CORE[:-3])
cases["staged_garbage_module.swasm"] = STAGED + stage(2, "m", b"\x01\x02\x03\x04")
cases["staged_multi_not_last.swasm"] = STAGED + stage(2, "a", VALID_CORE) + stage(1, "b", VALID_CORE)
cases["staged_two_multi.swasm"] = STAGED + stage(2, "a", VALID_CORE) + stage(2, "b", VALID_CORE)
cases["staged_duplicate_names.swasm"] = STAGED + stage(1, "a", VALID_CORE) + stage(2, "a", VALID_CORE)
cases["staged_pre_after_single.swasm"] = STAGED + stage(1, "a", VALID_CORE) + stage(0, "b", VALID_CORE)
LATER_REF = module(
    TYPE_VOID, section(2, vec([name("b") + name("f") + b"\x00\x00"]))
)
cases["staged_later_reference.swasm"] = STAGED + stage(1, "a", LATER_REF) + stage(2, "b", VALID_CORE)
MISSING_EXPORT_REF = module(TYPE_VOID, section(2, vec([name("a") + name("nope") + b"\x00\x00"])))
cases["staged_unknown_export.swasm"] = STAGED + stage(1, "a", VALID_CORE) + stage(2, "b", MISSING_EXPORT_REF)
cases["staged_custom_name_past_end.swasm"] = STAGED + section(0, leb(40) + b"x")
cases["staged_trailing_garbage.swasm"] = STAGED + stage(2, "m", VALID_CORE) + b"\x01"

for fname, data in cases.items():
    with open(os.path.join(HERE, fname), "wb") as f:
        f.write(data)


# --- Text: .wat and .swat ----------------------------------------------------------------
texts = {}
texts["unbalanced.wat"] = "(module (func (export \"f\")\n"
texts["unknown_instruction.wat"] = "(module (func i32.frobnicate))\n"
texts["bad_number.wat"] = "(module (func (result i32) (i32.const 0x1_0000_0000)))\n"
texts["bad_string_escape.wat"] = "(module (data \"\\q\"))\n"
texts["unknown_label.wat"] = "(module (func (br $nowhere)))\n"
texts["invalid_types.wat"] = "(module (func (result i32) (i64.const 1)))\n"
texts["not_a_module.wat"] = "(component)\n"
texts["staged_empty.swat"] = ""
texts["staged_not_staged.swat"] = "(stages)\n"
texts["staged_unbalanced.swat"] = "(staged (stage $a multi (module)\n"
texts["staged_unknown_kind.swat"] = "(staged (stage $a twice (module)))\n"
texts["staged_missing_module.swat"] = "(staged (stage $a multi))\n"
texts["staged_missing_name.swat"] = "(staged (stage multi (module)))\n"
texts["staged_no_stages.swat"] = "(staged)\n"
texts["staged_invalid_stage_module.swat"] = "(staged (stage $a multi (module (func (result i32)))))\n"
texts["staged_multi_not_last.swat"] = "(staged (stage $a multi (module)) (stage $b single (module)))\n"
texts["staged_duplicate_names.swat"] = "(staged (stage $a single (module)) (stage $a multi (module)))\n"
texts["staged_later_reference.swat"] = (
    "(staged (stage $a single (module (import \"b\" \"g\" (global i32))))\n"
    "        (stage $b multi (module (global (export \"g\") i32 (i32.const 1)))))\n"
)
texts["staged_unknown_export.swat"] = (
    "(staged (stage $a single (module))\n"
    "        (stage $b multi (module (import \"a\" \"nope\" (global i32)))))\n"
)
texts["staged_reference_type_mismatch.swat"] = (
    "(staged (stage $a single (module (global (export \"g\") i64 (i64.const 1))))\n"
    "        (stage $b multi (module (import \"a\" \"g\" (global i32)))))\n"
)
texts["staged_pre_traps.swat"] = "(staged (stage $a pre (module (func $s unreachable) (start $s))) (stage $b multi (module)))\n"
texts["staged_unbound_preimport.swat"] = (
    "(staged (stage $a pre (module (import \"cfg\" \"n\" (global i32))))\n"
    "        (stage $b multi (module)))\n"
)
texts["staged_trailing_tokens.swat"] = "(staged (stage $a multi (module))) (module)\n"

for fname, text in texts.items():
    with open(os.path.join(HERE, fname), "w") as f:
        f.write(text)

print(f"{len(cases)} binary and {len(texts)} text cases written to {HERE}")
