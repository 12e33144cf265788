#!/usr/bin/python3
"""Tests of modules_to_v021.py, the current-format -> 0.21 module file converter.

The expected shapes are snmp_exporter's: 0.21 reads one flat map of modules, each with
`version` and an embedded `auth:` (v0.21.0 config/config.go: Config, Module, WalkParams, Auth);
the current format splits `auths:` from `modules:` (0.23, auth-split-migration.md). The keys
refused are those 0.21's config structs lack (its parser is yaml.UnmarshalStrict). The last
tests run Debian's prometheus-snmp-exporter 0.21 itself on the output (skipped without it).
"""
import os
import subprocess
import sys
import tempfile
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import modules_to_v021 as conv  # noqa: E402

# What ModulesPeerTest converts: the catalogue's modules it compares, and the test's own file.
PROJECT_FILES = [os.path.join(HERE, "..", "..", "etc", "modules", name)
                 for name in ("mib2.yml", "host-resources.yml", "ucd.yml", "cisco.yml", "bgp.yml")] + [
    os.path.join(HERE, "..", "data", "modules", "peer-current.yml")]
PEER = "/usr/bin/prometheus-snmp-exporter"

CURRENT = {
    "auths": {
        "lab": {"community": "c1", "version": 1},
        "v3": {"version": 3, "security_level": "authPriv", "username": "u", "password": "p1",
               "auth_protocol": "SHA", "priv_protocol": "AES", "priv_password": "p2",
               "context_name": "ctx"},
        "plain": {"community": "c2"},
    },
    "modules": {
        "if_mib": {
            "walk": ["1.3.6.1.2.1.2"],
            "get": ["1.3.6.1.2.1.1.3.0"],
            "max_repetitions": 10,
            "timeout": "10s",
            "metrics": [{
                "name": "ifType", "oid": "1.3.6.1.2.1.2.2.1.3", "type": "EnumAsInfo",
                "help": "h", "indexes": [{"labelname": "ifIndex", "type": "gauge"}],
                "lookups": [{"labels": ["ifIndex"], "labelname": "ifDescr",
                             "oid": "1.3.6.1.2.1.2.2.1.2", "type": "DisplayString"},
                            {"labels": [], "labelname": "ifIndex"}],
                "enum_values": {1: "other", 6: "ethernetCsmacd"},
            }],
        },
    },
}


def converted(current):
    return conv.convert(yaml.safe_load(yaml.safe_dump(current)))


def with_change(path, key, value):
    """CURRENT with `key: value` added to the map at `path` (a list of keys and indexes)."""
    current = yaml.safe_load(yaml.safe_dump(CURRENT))
    node = current
    for step in path:
        node = node[step]
    node[key] = value
    return current


class ConvertTest(unittest.TestCase):
    def test_one_copy_of_each_module_per_auth(self):
        flat = converted(CURRENT)
        self.assertCountEqual(["if_mib@lab", "if_mib@v3", "if_mib@plain"], flat)
        for copy in flat.values():
            for key in ("walk", "get", "max_repetitions", "timeout", "metrics"):
                self.assertEqual(CURRENT["modules"]["if_mib"][key], copy[key])

    def test_version_and_credentials_are_embedded(self):
        flat = converted(CURRENT)
        self.assertEqual(1, flat["if_mib@lab"]["version"])
        self.assertEqual({"community": "c1"}, flat["if_mib@lab"]["auth"])
        v3 = flat["if_mib@v3"]
        self.assertEqual(3, v3["version"])
        self.assertEqual({"security_level": "authPriv", "username": "u", "password": "p1",
                          "auth_protocol": "SHA", "priv_protocol": "AES", "priv_password": "p2",
                          "context_name": "ctx"}, v3["auth"])
        # An auth without version is v2c, snmp_exporter's default (DefaultAuth).
        self.assertEqual(2, flat["if_mib@plain"]["version"])

    def test_keys_newer_than_021_are_refused_with_their_place(self):
        metric = ["modules", "if_mib", "metrics", 0]
        cases = [
            (["modules", "if_mib"], "filters", [{"oid": "1.2", "targets": ["1.3"],
                                                 "values": ["x"]}], "modules.if_mib"),
            (metric, "scale", 0.5, "modules.if_mib.metrics[0]"),
            (metric, "offset", 1.0, "modules.if_mib.metrics[0]"),
            (metric, "datetime_pattern", "%Y", "modules.if_mib.metrics[0]"),
            (metric, "display_hint", "255a", "modules.if_mib.metrics[0]"),
            (metric + ["lookups", 0], "enum_values", {1: "a"},
             "modules.if_mib.metrics[0].lookups[0]"),
            (metric + ["indexes", 0], "display_hint", "1x:", "modules.if_mib.metrics[0].indexes[0]"),
            (["auths", "lab"], "engine_id", "x", "auths.lab"),
            ([], "extra", {}, "file"),
        ]
        for path, key, value, where in cases:
            with self.subTest(key=key, where=where):
                with self.assertRaises(conv.Refused) as raised:
                    converted(with_change(path, key, value))
                self.assertEqual(f"{where}: key '{key}' is not known to snmp_exporter 0.21",
                                 str(raised.exception))

    def test_types_newer_than_021_are_refused(self):
        for newer in ("ParseDateAndTime", "NTPTimeStamp"):
            with self.subTest(type=newer):
                current = with_change(["modules", "if_mib", "metrics", 0], "type", newer)
                with self.assertRaisesRegex(conv.Refused, f"metrics\\[0\\]: type '{newer}'"):
                    converted(current)

    def test_a_file_without_auths_is_refused(self):
        with self.assertRaisesRegex(conv.Refused, "no auths"):
            converted({"modules": CURRENT["modules"]})

    def test_main_writes_the_file_or_fails(self):
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "in.yml")
            out = os.path.join(tmp, "out.yml")
            with open(src, "w") as f:
                yaml.safe_dump(CURRENT, f)
            self.assertEqual(0, conv.main(["x", src, out]))
            with open(out) as f:
                text = f.read()
            # Every copy written in full: no YAML anchors and aliases.
            self.assertNotIn("&id", text)
            self.assertNotIn("*id", text)
            self.assertEqual(converted(CURRENT), yaml.safe_load(text))
            with open(src, "w") as f:
                yaml.safe_dump(with_change(["modules", "if_mib"], "filters", []), f)
            self.assertEqual(1, conv.main(["x", src, out]))
            self.assertEqual(2, conv.main(["x", src]))

    def test_several_files_are_merged_and_a_second_definition_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            auths = os.path.join(tmp, "auths.yml")
            modules = os.path.join(tmp, "modules.yml")
            out = os.path.join(tmp, "out.yml")
            with open(auths, "w") as f:
                yaml.safe_dump({"auths": CURRENT["auths"]}, f)
            with open(modules, "w") as f:
                yaml.safe_dump({"modules": CURRENT["modules"]}, f)
            self.assertEqual(0, conv.main(["x", modules, auths, out]))
            with open(out) as f:
                self.assertEqual(converted(CURRENT), yaml.safe_load(f))
            self.assertEqual(1, conv.main(["x", modules, auths, modules, out]))
            with self.assertRaisesRegex(conv.Refused, "modules.yml: modules.if_mib: defined again"):
                conv.merge([(modules, {"modules": CURRENT["modules"]}),
                            (modules, {"modules": CURRENT["modules"]})])


@unittest.skipUnless(os.access(PEER, os.X_OK), "prometheus-snmp-exporter 0.21 not installed")
class PeerAcceptsTest(unittest.TestCase):
    def dry_run(self, path):
        return subprocess.run([PEER, "--dry-run", f"--config.file={path}"], capture_output=True,
                              text=True, timeout=60)

    def test_project_module_file_converted_is_accepted(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "snmp.yml")
            self.assertEqual(0, conv.main(["x", *PROJECT_FILES, out]))
            r = self.dry_run(out)
            self.assertEqual(0, r.returncode, r.stderr)
            self.assertIn("Configuration parsed successfully", r.stderr)
            with open(out) as f:
                flat = yaml.safe_load(f)
            modules, auths = 0, 0
            for path in PROJECT_FILES:
                with open(path) as f:
                    current = yaml.safe_load(f)
                modules += len(current.get("modules") or {})
                auths += len(current.get("auths") or {})
            self.assertEqual(modules * auths, len(flat))

    def test_peer_refuses_what_the_converter_refuses(self):
        # The reason for refusing: 0.21 fails the whole file on such a key.
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "snmp.yml")
            flat = converted(CURRENT)
            self.assertEqual(0, self.dry_run(self._write(out, flat)).returncode)
            flat["if_mib@lab"]["metrics"][0]["scale"] = 0.5
            r = self.dry_run(self._write(out, flat))
            self.assertNotEqual(0, r.returncode)
            self.assertIn("field scale not found", r.stderr)

    @staticmethod
    def _write(path, flat):
        with open(path, "w") as f:
            yaml.safe_dump(flat, f)
        return path


if __name__ == "__main__":
    unittest.main(verbosity=2)
