#!/usr/bin/python3
"""Turns an snmp_exporter module file in the current format into the flat format of 0.21.

Usage: modules_to_v021.py CURRENT.yml [MORE.yml ...] OUT.yml

The current format (snmp_exporter >= 0.23, generator/FORMAT.md) has two top-level maps, `auths:`
and `modules:`. 0.21 (Debian 12's prometheus-snmp-exporter) reads one flat map of modules, each
carrying `version` and an `auth:` map (v0.21.0 config/config.go: Config, Module, WalkParams,
Auth). A 0.21 module therefore holds one auth: this writes one copy of every module per auth,
named "<module>@<auth>", with the auth's `version` and credentials embedded. Several input files
are merged as promsnmp and snmp_exporter merge them: their auths and modules together, a name
defined twice refused.

0.21 parses with yaml.UnmarshalStrict, so a key it does not know fails the whole file. Rather
than drop such keys (and compare something else than the file says), this refuses them: the
keys of 0.22 and later (`filters`, `scale`, `offset`, `datetime_pattern`, `display_hint`,
`enum_values` on lookups) and the metric types 0.21 cannot render (ParseDateAndTime,
NTPTimeStamp). Exit status 0 on success, 1 with a message naming the place on refusal, 2 on
bad usage.

Used by tests/integration/promsnmp/ModulesPeerTest.cpp; tested by
tests/tools/test_modules_to_v021.py.
"""
import sys

import yaml

# The keys 0.21 accepts (v0.21.0 config/config.go struct tags), per map.
MODULE_KEYS = {"walk", "get", "metrics", "max_repetitions", "retries", "timeout",
               "use_unconnected_udp_socket", "allow_nonincreasing_oids"}
METRIC_KEYS = {"name", "oid", "type", "help", "indexes", "lookups", "regex_extracts",
               "enum_values"}
INDEX_KEYS = {"labelname", "type", "fixed_size", "implied", "enum_values"}
LOOKUP_KEYS = {"labels", "labelname", "oid", "type"}
AUTH_KEYS = {"community", "security_level", "username", "password", "auth_protocol",
             "priv_protocol", "priv_password", "context_name"}
# Metric types newer than 0.21 (0.27: ParseDateAndTime, NTPTimeStamp).
NEWER_TYPES = {"ParseDateAndTime", "NTPTimeStamp"}


class _NoAliasDumper(yaml.SafeDumper):
    """Writes every copy in full: no YAML anchors (&id001) for the shared module bodies."""

    def ignore_aliases(self, data):
        return True


class Refused(Exception):
    """The input cannot be expressed in the 0.21 format; the message names where."""


def _check_keys(where, mapping, known):
    if not isinstance(mapping, dict):
        raise Refused(f"{where}: expected a map, got {type(mapping).__name__}")
    for key in mapping:
        if key not in known:
            raise Refused(f"{where}: key '{key}' is not known to snmp_exporter 0.21")


def _check_module(name, module):
    where = f"modules.{name}"
    _check_keys(where, module, MODULE_KEYS)
    for i, metric in enumerate(module.get("metrics") or []):
        mwhere = f"{where}.metrics[{i}]"
        _check_keys(mwhere, metric, METRIC_KEYS)
        if metric.get("type") in NEWER_TYPES:
            raise Refused(f"{mwhere}: type '{metric['type']}' is not known to snmp_exporter 0.21")
        for j, index in enumerate(metric.get("indexes") or []):
            _check_keys(f"{mwhere}.indexes[{j}]", index, INDEX_KEYS)
        for j, lookup in enumerate(metric.get("lookups") or []):
            _check_keys(f"{mwhere}.lookups[{j}]", lookup, LOOKUP_KEYS)


def convert(current):
    """Returns the 0.21 config (a dict) for `current` (the parsed current-format file)."""
    _check_keys("file", current, {"auths", "modules"})
    auths = current.get("auths") or {}
    modules = current.get("modules") or {}
    if not auths:
        raise Refused("file: no auths (a 0.21 module needs one to embed)")
    for name, module in modules.items():
        _check_module(name, module)
    flat = {}
    for module_name, module in modules.items():
        for auth_name, auth in auths.items():
            _check_keys(f"auths.{auth_name}", auth, AUTH_KEYS | {"version"})
            copy = dict(module)
            copy["version"] = auth.get("version", 2)
            embedded = {k: v for k, v in auth.items() if k != "version"}
            if embedded:
                copy["auth"] = embedded
            flat[f"{module_name}@{auth_name}"] = copy
    return flat


def merge(files):
    """Returns one current-format config of the parsed `files` ((path, dict) pairs)."""
    merged = {"auths": {}, "modules": {}}
    for path, current in files:
        try:
            _check_keys("file", current, {"auths", "modules"})
            for section in ("auths", "modules"):
                for name, value in (current.get(section) or {}).items():
                    if name in merged[section]:
                        raise Refused(f"{section}.{name}: defined again")
                    merged[section][name] = value
        except Refused as e:
            raise Refused(f"{path}: {e}") from e
    return merged


def main(argv):
    if len(argv) < 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    inputs, output = argv[1:-1], argv[-1]
    files = []
    for path in inputs:
        with open(path, encoding="utf-8") as f:
            current = yaml.safe_load(f)
        files.append((path, current if current is not None else {}))
    try:
        flat = convert(merge(files) if len(files) > 1 else files[0][1])
    except Refused as e:
        where = f"{inputs[0]}: " if len(files) == 1 else ""
        print(f"{where}{e}", file=sys.stderr)
        return 1
    with open(output, "w", encoding="utf-8") as f:
        f.write(f"# Generated from {' '.join(inputs)} by modules_to_v021.py; do not edit.\n")
        yaml.dump(flat, f, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True, width=100)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
