/*
 * Java peer for bench/inventory_bench.cpp: the Java PromSNMP's own inventory file path, measured
 * on the same machine and filesystem in the same `make bench` run.
 *
 * It compiles against the model and codec in tests/tools/java-fixture/model/ (the mirror of the
 * Java PromSNMP's InventoryDTO / NetworkDevice / Agent classes, its Spring-like ObjectMapper and
 * its EncryptionUtils), so the bytes written here are the bytes the Java application writes.
 *
 * write       = InventoryFileLoader.backup() after the H2 export: Jackson default pretty printer,
 *               AES-128-GCM (16-character key, random 12-byte IV, no AAD), Base64,
 *               Files.writeString (truncate and rewrite in place, no fsync, as the Java code).
 * write+fsync = the same, then FileChannel.force(true) on the file. Java has no portable way to
 *               fsync a directory, so, unlike the C++ commit, there is no directory fsync.
 * load        = InventoryFileLoader.restore() before the H2 import: Files.readString, Base64
 *               decode, decrypt, Jackson readValue into InventoryDTO. The two parts (decrypt =
 *               Base64 + AES-GCM + UTF-8 decode; Jackson parse) are also timed on their own.
 * cold load   = one load in a fresh JVM per sample (this class re-run with --cold-load):
 *               "JVM start to loaded" is measured by the parent from process start until the
 *               child reports the load done; the child also reports its in-process load time.
 *               Neither includes Spring Boot's startup nor the H2 import.
 *
 * The JVM is warmed before timing: per size, untimed write / write+fsync / load cycles until at
 * least WARMUP_CYCLES cycles and WARMUP_DEVICES devices have gone through; before that,
 * GCM_WARMUP_CALLS AES-GCM calls on 100 KB, because HotSpot uses its AES-GCM intrinsics only
 * from callers it has compiled, which a few calls on megabytes never trigger. The AES-GCM time
 * of the 10,000-device payload is printed before and after that warm-up. Devices are shaped
 * like makeDevice() in inventory_bench.cpp.
 *
 * Usage: JavaInventoryBench DIR RUNS               Markdown tables on stdout
 *        JavaInventoryBench --cold-load FILE N     (child) one load, prints "loaded N MS"
 */

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

public final class JavaInventoryBench {

    /** 16 characters, so the Java application encrypts (AES-128). */
    static final String KEY = "PromSnmpBench16K";
    static final int[] SIZES = {100, 1000, 10000};
    static final int WARMUP_CYCLES = 5;
    static final int WARMUP_DEVICES = 20_000;
    static final int GCM_WARMUP_CALLS = 3_000;
    static final int GCM_WARMUP_BYTES = 100_000;
    static final int GCM_SAMPLES = 5;
    static final int COLD_SIZE = 10000;
    static final int COLD_SAMPLES = 5;
    static final String FILE_NAME = "promsnmp-inventory.json";

    /** The sysDescr of makeDevice() in inventory_bench.cpp. */
    static final String SYS_DESCR =
            "Cisco IOS Software, C3750E Software (C3750E-UNIVERSALK9-M), Version 15.0(2)SE11, "
                    + "RELEASE SOFTWARE (fc3) Technical Support: http://www.cisco.com/techsupport";

    private JavaInventoryBench() {
    }

    /**
     * A device as discovery writes it: one v2c agent (also the primaryAgent, which Jackson
     * writes out again in full), a Cisco-length sysDescr, location and contact.
     */
    static NetworkDevice makeDevice(int i) throws IOException {
        NetworkDevice d = new NetworkDevice();
        d.id = UUID.randomUUID();
        d.sysName = "sw-" + i + ".pop1.example.net";
        d.sysDescr = SYS_DESCR;
        d.sysContact = "noc@example.net";
        d.sysLocation = "Row " + (i % 40) + ", rack " + (i % 17);
        d.discoveredAt = Instant.now();
        CommunityAgent a = new CommunityAgent();
        a.id = UUID.randomUUID();
        InetAddress address = InetAddress.getByAddress(new byte[]{
                10, (byte) (i >> 16), (byte) (i >> 8), (byte) i});
        a.endpoint = new AgentEndpoint(address, 161);
        a.version = 1;
        a.timeout = 1000;
        a.retries = 1;
        a.discoveredAt = d.discoveredAt;
        a.readCommunity = "public";
        d.addAgent(a);
        d.primaryAgent = a;
        return d;
    }

    static InventoryDTO makeInventory(int n) throws IOException {
        InventoryDTO inventory = new InventoryDTO();
        for (int i = 0; i < n; ++i) {
            inventory.devices.add(makeDevice(i));
        }
        return inventory;
    }

    /** backup() followed by an fsync of the file's data and metadata. */
    static void backupAndForce(ObjectMapper mapper, InventoryDTO inventory, Path file)
            throws Exception {
        InventoryCodec.backup(mapper, inventory, file, KEY);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    static InventoryDTO load(ObjectMapper mapper, Path file, int expected) throws Exception {
        InventoryDTO inventory = InventoryCodec.restore(mapper, file, KEY);
        if (inventory.devices.size() != expected) {
            throw new IllegalStateException("load returned " + inventory.devices.size()
                    + " devices, expected " + expected);
        }
        return inventory;
    }

    static double msSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e6;
    }

    static double median(List<Double> values) {
        List<Double> v = new ArrayList<>(values);
        Collections.sort(v);
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    static double min(List<Double> values) {
        return Collections.min(values);
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.delete(p);
            }
        }
    }

    static String jvmDescription() {
        String gc = ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(GarbageCollectorMXBean::getName)
                .collect(Collectors.joining(", "));
        return String.format("%s %s (%s), collectors %s, max heap %.1f GiB, Jackson %s",
                System.getProperty("java.vm.name"), System.getProperty("java.runtime.version"),
                System.getProperty("java.vm.vendor"), gc,
                Runtime.getRuntime().maxMemory() / (double) (1L << 30),
                com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION);
    }

    /** One cold sample: a fresh JVM that loads FILE once. Returns {start-to-loaded, in-process}. */
    static double[] coldSample(Path file, int n) throws Exception {
        List<String> command = List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dfile.encoding=UTF-8", "-cp", System.getProperty("java.class.path"),
                JavaInventoryBench.class.getName(), "--cold-load", file.toString(),
                Integer.toString(n));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        long start = System.nanoTime();
        Process child = builder.start();
        String line;
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            line = out.readLine();
        }
        double startToLoaded = msSince(start);
        int status = child.waitFor();
        if (status != 0 || line == null || !line.startsWith("loaded " + n + " ")) {
            throw new IllegalStateException("cold load failed (exit " + status + "): " + line);
        }
        return new double[]{startToLoaded, Double.parseDouble(line.split(" ")[2])};
    }

    /** Child of coldSample(): the mapper exists before restore(), as the Spring bean does. */
    static void coldLoad(Path file, int n) throws Exception {
        ObjectMapper mapper = InventoryCodec.mapper();
        long start = System.nanoTime();
        load(mapper, file, n);
        double loadMs = msSince(start);
        System.out.println("loaded " + n + " " + loadMs);
        System.out.flush();
    }

    /** Medians of GCM_SAMPLES encrypt and decrypt calls on JSON: {encrypt ms, decrypt ms}. */
    static double[] timeGcm(String json) throws Exception {
        List<Double> encrypt = new ArrayList<>();
        List<Double> decrypt = new ArrayList<>();
        for (int s = 0; s < GCM_SAMPLES; ++s) {
            long t0 = System.nanoTime();
            String sealed = InventoryCodec.encrypt(json, KEY);
            encrypt.add(msSince(t0));
            long t1 = System.nanoTime();
            String opened = InventoryCodec.decrypt(sealed, KEY);
            decrypt.add(msSince(t1));
            if (opened.length() != json.length()) {
                throw new IllegalStateException("AES-GCM round trip changed the payload");
            }
        }
        return new double[]{median(encrypt), median(decrypt)};
    }

    /** Enough AES-GCM calls for HotSpot to compile the callers of its AES-GCM intrinsics. */
    static void warmGcm() throws Exception {
        String chunk = "x".repeat(GCM_WARMUP_BYTES);
        for (int i = 0; i < GCM_WARMUP_CALLS; ++i) {
            InventoryCodec.decrypt(InventoryCodec.encrypt(chunk, KEY), KEY);
        }
    }

    /** Untimed write, write+fsync and load cycles: at least WARMUP_CYCLES and WARMUP_DEVICES. */
    static void warmUp(ObjectMapper mapper, InventoryDTO inventory, Path file) throws Exception {
        int n = inventory.devices.size();
        int cycles = Math.max(WARMUP_CYCLES, (WARMUP_DEVICES + n - 1) / n);
        for (int w = 0; w < cycles; ++w) {
            InventoryCodec.backup(mapper, inventory, file, KEY);
            backupAndForce(mapper, inventory, file);
            load(mapper, file, n);
        }
    }

    static void run(Path base, int runs) throws Exception {
        ObjectMapper mapper = InventoryCodec.mapper();

        String coldSizeJson = mapper.writerWithDefaultPrettyPrinter()
                .writeValueAsString(makeInventory(COLD_SIZE));
        double[] gcmBefore = timeGcm(coldSizeJson);
        warmGcm();
        double[] gcmAfter = timeGcm(coldSizeJson);

        System.out.printf("JVM: %s. Warmed before timing: %d AES-GCM calls on %d kB, then per size "
                        + "untimed write, write+fsync and load cycles (at least %d, and at least "
                        + "%,d devices).%n%n", jvmDescription(), GCM_WARMUP_CALLS,
                GCM_WARMUP_BYTES / 1000, WARMUP_CYCLES, WARMUP_DEVICES);
        System.out.printf("AES-GCM on the %,d-device JSON (%.1f MB), medians of %d: encrypt %.1f ms "
                        + "and decrypt %.1f ms before that AES-GCM warm-up, %.1f ms and %.1f ms "
                        + "after it (encrypt includes Base64 encoding, decrypt Base64 decoding).%n%n",
                COLD_SIZE, coldSizeJson.length() / 1e6, GCM_SAMPLES, gcmBefore[0], gcmBefore[1],
                gcmAfter[0], gcmAfter[1]);

        System.out.println("| devices | file size | write median | write+fsync median | load median "
                + "| load min | of which decrypt | of which Jackson parse |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|");
        Path coldFile = null;
        for (int n : SIZES) {
            Path dir = base.resolve("java-inventory-bench-" + n);
            deleteTree(dir);
            Files.createDirectories(dir);
            Path file = dir.resolve(FILE_NAME);
            InventoryDTO inventory = makeInventory(n);
            warmUp(mapper, inventory, file);

            List<Double> write = new ArrayList<>();
            List<Double> writeSync = new ArrayList<>();
            List<Double> load = new ArrayList<>();
            List<Double> decrypt = new ArrayList<>();
            List<Double> parse = new ArrayList<>();
            for (int r = 0; r < runs; ++r) {
                // Each run rewrites the whole inventory (one changed location), as the C++ bench.
                inventory.devices.get(r % n).sysLocation = "moved " + r;
                long t0 = System.nanoTime();
                InventoryCodec.backup(mapper, inventory, file, KEY);
                write.add(msSince(t0));

                long t1 = System.nanoTime();
                backupAndForce(mapper, inventory, file);
                writeSync.add(msSince(t1));

                long t2 = System.nanoTime();
                load(mapper, file, n);
                load.add(msSince(t2));

                String content = Files.readString(file);
                long t3 = System.nanoTime();
                String json = InventoryCodec.decrypt(content, KEY);
                decrypt.add(msSince(t3));
                long t4 = System.nanoTime();
                mapper.readValue(json, InventoryDTO.class);
                parse.add(msSince(t4));
            }
            System.out.printf("| %d | %.1f MB | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms "
                            + "| %.1f ms |%n", n, Files.size(file) / 1e6, median(write),
                    median(writeSync), median(load), min(load), median(decrypt), median(parse));
            if (n == COLD_SIZE) {
                coldFile = file;
            } else {
                deleteTree(dir);
            }
        }
        if (coldFile == null) {
            throw new IllegalStateException("no " + COLD_SIZE + "-device file for the cold load");
        }

        List<Double> startToLoaded = new ArrayList<>();
        List<Double> inProcess = new ArrayList<>();
        for (int s = 0; s < COLD_SAMPLES; ++s) {
            double[] sample = coldSample(coldFile, COLD_SIZE);
            startToLoaded.add(sample[0]);
            inProcess.add(sample[1]);
        }
        deleteTree(coldFile.getParent());

        System.out.println();
        System.out.println("| devices | cold samples | JVM start to loaded median | min "
                + "| in-process load median | min |");
        System.out.println("|---:|---:|---:|---:|---:|---:|");
        System.out.printf("| %d | %d | %.1f ms | %.1f ms | %.1f ms | %.1f ms |%n", COLD_SIZE,
                COLD_SAMPLES, median(startToLoaded), min(startToLoaded), median(inProcess),
                min(inProcess));
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("--cold-load")) {
            coldLoad(Path.of(args[1]), Integer.parseInt(args[2]));
        } else if (args.length == 2) {
            run(Path.of(args[0]), Integer.parseInt(args[1]));
        } else {
            System.err.println("usage: JavaInventoryBench DIR RUNS\n"
                    + "       JavaInventoryBench --cold-load FILE DEVICES");
            System.exit(2);
        }
    }
}
