/*
 * Generates a Java-written PromSNMP inventory fixture (plaintext JSON + encrypted file).
 *
 * The model classes in model/ mirror the Java PromSNMP inventory model (InventoryDTO,
 * NetworkDevice, Agent / CommunityAgent / UserAgent, AgentEndpoint, DiscoverySeedDTO) closely
 * enough that Jackson produces the same JSON shape the real application writes: same property
 * names and order, the polymorphic "type" discriminator (written twice per agent, because the
 * type id and the public getType() are both serialised), InetAddress via Jackson's
 * InetAddressSerializer, explicit nulls, the default pretty printer. Instants are written with
 * Instant.toString(), which is what Spring Boot's JavaTimeModule writes with
 * WRITE_DATES_AS_TIMESTAMPS disabled. model/InventoryCodec.java holds the mapper and the
 * EncryptionUtils equivalent; bench/java/JavaInventoryBench.java compiles against the same
 * model.
 *
 * Usage: java -cp <jackson jars>:<classes> GenerateJavaInventory <output-dir>
 * Writes <output-dir>/inventory-java.json and <output-dir>/inventory-java.enc, then checks
 * that the .enc decrypts to the .json and that the .json round-trips through Jackson unchanged.
 *
 * All addresses are documentation/private ranges (192.0.2.0/24, 10/8, 2001:db8::/32); nothing
 * is contacted. Only the IV is random, so the .json is reproducible and the .enc is not.
 */

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

public class GenerateJavaInventory {

    /** Inventory key: 16 characters, so the Java application encrypts (AES-128). */
    static final String KEY = "PromSnmpJava16Ky";

    // ---------------------------------------------------------------- fixture content

    /** A Cisco-style multi-line sysDescr, longer than 255 characters. */
    static final String CISCO_SYS_DESCR =
            "Cisco IOS Software [Dublin], Catalyst L3 Switch Software (CAT9K_IOSXE), "
                    + "Version 17.12.3, RELEASE SOFTWARE (fc7)\r\n"
                    + "Technical Support: http://www.cisco.com/techsupport\r\n"
                    + "Copyright (c) 1986-2024 by Cisco Systems, Inc.\r\n"
                    + "Compiled Wed 20-Mar-24 13:02 by mcpre\r\n"
                    + "Cisco IOS-XE software, Copyright (c) 2005-2024 by cisco Systems, Inc. "
                    + "All rights reserved.";

    static InventoryDTO buildInventory() throws IOException {
        InventoryDTO inventory = new InventoryDTO();

        // (a) SNMPv2c community agent; primaryAgent is that agent (written out as a full copy).
        NetworkDevice edge = device("6f1c2b9e-6a55-4c0e-9d7a-3f1b2c3d4e5f", "edge-rtr-01",
                "Linux edge-rtr-01 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 x86_64",
                "noc@example.com", "DC1 Rack 12", "2025-06-01T12:00:00.123456Z");
        CommunityAgent edgeAgent = community("0b6f7d1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f",
                ip(192, 0, 2, 10), 161, 1, 1000, 1, "2025-06-01T12:00:00.100Z", "public", null);
        edge.addAgent(edgeAgent);
        edge.primaryAgent = edgeAgent;
        inventory.devices.add(edge);

        // (b) SNMPv3 authPriv user agent with engine id; sysDescr > 255 chars; sysContact null;
        //     device instant without fraction digits.
        NetworkDevice core = device("3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a", "core-sw-01.example.com",
                CISCO_SYS_DESCR, null, "DC1 Row C", "2025-06-02T08:30:15Z");
        UserAgent coreAgent = user("7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9", ip(10, 20, 30, 40), 161,
                3, 2000, 2, "2025-06-02T08:30:14.987Z", "promsnmp-monitor", 3,
                "SHA256", "authPass-Example-1", "AES256", "privPass-Example-2",
                "80:00:1f:88:80:5e:2d:6a:3b:11:22:33:44");
        core.addAgent(coreAgent);
        core.primaryAgent = coreAgent;
        inventory.devices.add(core);

        // (c) Two agents on one host: SNMPv1 community (model defaults for timeout/retries,
        //     write community set) and an SNMPv3 authNoPriv user; primaryAgent is the second.
        //     Non-ASCII sysLocation (BMP) and sysContact (with a supplementary character).
        NetworkDevice ups = device("c4a1e7d2-5b3f-4e8a-9c6d-2f1e0d9c8b7a", "zrh-ups-01",
                "APC Web/SNMP Management Card (MB:v4.1.0 PF:v6.9.6 PN:apc_hw05_aos_696.bin)",
                "Ops \"Alpen\" \uD83D\uDEE0 <ops@example.org>",
                "Z\u00fcrich \u2014 Rack \u2603 4", "2025-06-03T06:15:42.5Z");
        CommunityAgent upsV1 = community("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
                ip(192, 0, 2, 20), 161, 0, 1500, 1, "2025-06-03T06:15:40.250Z", "public-v1",
                "private-rw");
        UserAgent upsV3 = user("d5e6f7a8-b9c0-4d1e-8f2a-3b4c5d6e7f80", ip(192, 0, 2, 20), 1161,
                3, 1500, 1, "2025-06-03T06:15:41Z", "ups-reader", 2,
                "SHA", "ups-auth-Pass", null, null,
                "80:00:13:70:01:c0:00:02:14");
        ups.addAgent(upsV1);
        ups.addAgent(upsV3);
        ups.primaryAgent = upsV3;
        inventory.devices.add(ups);

        // (d) IPv6 endpoint (Java long form), device instant with 9 fraction digits, agent with
        //     discoveredAt null, retries 0, sysContact null, primaryAgent null.
        NetworkDevice v6 = device("e8f9a0b1-c2d3-4e5f-a6b7-c8d9e0f1a2b3", "v6-only-fw",
                "FreeBSD v6-only-fw 14.1-RELEASE amd64", null, "Lab B", "2025-06-04T23:59:59.123456789Z");
        CommunityAgent v6Agent = community("f0e1d2c3-b4a5-4968-8776-655443322110",
                ip6("2001:db8::a1"), 161, 1, 3000, 0, null, "v6-public", null);
        v6.addAgent(v6Agent);
        inventory.devices.add(v6);

        // (e) A device without agents (only reachable through an import); sys* values null.
        NetworkDevice bare = device("a7b8c9d0-e1f2-4a3b-8c4d-5e6f7a8b9c0d", null, null, null, null,
                "2025-06-05T00:00:00.001Z");
        inventory.devices.add(bare);

        DiscoverySeedDTO v2cSeed = new DiscoverySeedDTO();
        v2cSeed.id = UUID.fromString("9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d");
        v2cSeed.potentialTargets = List.of("192.0.2.1", "192.0.2.2");
        v2cSeed.port = 161;
        v2cSeed.version = "v2c";
        v2cSeed.agentType = "snmp-community";
        v2cSeed.readCommunity = "public";
        inventory.discoverySeeds.add(v2cSeed);

        DiscoverySeedDTO v3Seed = new DiscoverySeedDTO();
        v3Seed.id = UUID.fromString("5b4a3928-1706-4f5e-8d3c-2b1a09f8e7d6");
        v3Seed.potentialTargets = List.of("10.20.30.40", "2001:db8:0:0:0:0:0:b2");
        v3Seed.port = 161;
        v3Seed.version = "v3";
        v3Seed.agentType = "snmp-user";
        v3Seed.securityName = "promsnmp-monitor";
        v3Seed.securityLevel = 3;
        v3Seed.authProtocol = "SHA256";
        v3Seed.authPassphrase = "authPass-Example-1";
        v3Seed.privProtocol = "AES256";
        v3Seed.privPassphrase = "privPass-Example-2";
        inventory.discoverySeeds.add(v3Seed);

        return inventory;
    }

    static NetworkDevice device(String id, String sysName, String sysDescr, String sysContact,
                                String sysLocation, String discoveredAt) {
        NetworkDevice d = new NetworkDevice();
        d.id = UUID.fromString(id);
        d.sysName = sysName;
        d.sysDescr = sysDescr;
        d.sysContact = sysContact;
        d.sysLocation = sysLocation;
        d.discoveredAt = Instant.parse(discoveredAt);
        return d;
    }

    static void fillAgent(Agent a, String id, InetAddress address, int port, int version,
                          long timeout, int retries, String discoveredAt) {
        a.id = UUID.fromString(id);
        a.endpoint = new AgentEndpoint(address, port);
        a.version = version;
        a.timeout = timeout;
        a.retries = retries;
        a.discoveredAt = discoveredAt == null ? null : Instant.parse(discoveredAt);
    }

    static CommunityAgent community(String id, InetAddress address, int port, int version,
                                    long timeout, int retries, String discoveredAt,
                                    String readCommunity, String writeCommunity) {
        CommunityAgent a = new CommunityAgent();
        fillAgent(a, id, address, port, version, timeout, retries, discoveredAt);
        a.readCommunity = readCommunity;
        a.writeCommunity = writeCommunity;
        return a;
    }

    static UserAgent user(String id, InetAddress address, int port, int version, long timeout,
                          int retries, String discoveredAt, String securityName,
                          int securityLevel, String authProtocol, String authPassphrase,
                          String privProtocol, String privPassphrase, String engineId) {
        UserAgent a = new UserAgent();
        fillAgent(a, id, address, port, version, timeout, retries, discoveredAt);
        a.securityName = securityName;
        a.securityLevel = securityLevel;
        a.authProtocol = authProtocol;
        a.authPassphrase = authPassphrase;
        a.privProtocol = privProtocol;
        a.privPassphrase = privPassphrase;
        a.engineId = engineId;
        return a;
    }

    /** IPv4 address object without a host name (as reloaded from the database): literal output. */
    static InetAddress ip(int a, int b, int c, int d) throws IOException {
        return InetAddress.getByAddress(new byte[]{(byte) a, (byte) b, (byte) c, (byte) d});
    }

    /**
     * IPv6 address object from a literal (parsed without DNS, no host name); Jackson writes
     * Java's long form, e.g. 2001:db8:0:0:0:0:0:a1.
     */
    static InetAddress ip6(String literal) throws IOException {
        return InetAddress.getByName(literal);
    }

    static void check(boolean condition, String what) {
        if (!condition) {
            throw new IllegalStateException("self-check failed: " + what);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: GenerateJavaInventory <output-dir>");
            System.exit(2);
        }
        Path outDir = Path.of(args[0]);
        Files.createDirectories(outDir);
        Path jsonFile = outDir.resolve("inventory-java.json");
        Path encFile = outDir.resolve("inventory-java.enc");

        check(KEY.length() == 16, "key has 16 characters");
        check(CISCO_SYS_DESCR.length() > 255, "long sysDescr exceeds 255 characters");

        ObjectMapper mapper = InventoryCodec.mapper();
        String json = mapper.writerWithDefaultPrettyPrinter().writeValueAsString(buildInventory());
        Files.writeString(jsonFile, json);
        Files.writeString(encFile, InventoryCodec.encrypt(json, KEY));

        // The encrypted file decrypts (strict Base64, as the Java reader) to the plaintext file.
        String decrypted = InventoryCodec.decrypt(Files.readString(encFile), KEY);
        check(decrypted.equals(Files.readString(jsonFile)), ".enc decrypts to .json");

        // The Java reader accepts the file (duplicate "type" included) and writing it again
        // reproduces it byte for byte.
        InventoryDTO reread = mapper.readValue(decrypted, InventoryDTO.class);
        String rewritten = mapper.writerWithDefaultPrettyPrinter().writeValueAsString(reread);
        check(rewritten.equals(json), "JSON round-trips through Jackson unchanged");

        System.out.printf("wrote %s (%d bytes) and %s (%d bytes); self-checks passed%n",
                jsonFile, Files.size(jsonFile), encFile, Files.size(encFile));
    }
}
