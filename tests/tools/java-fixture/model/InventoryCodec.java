import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;

/**
 * The Java PromSNMP inventory file path: its ObjectMapper (as far as it matters here), its
 * EncryptionUtils, and InventoryFileLoader's backup() and restore() without the H2 database.
 *
 * Encryption follows EncryptionUtils: AES/GCM/NoPadding, raw key bytes (no KDF), 12-byte
 * SecureRandom IV, 128-bit tag, no AAD; file = Base64(IV || ciphertext || tag), written with
 * Files.writeString (UTF-8, no trailing newline, no fsync). UTF-8 is used explicitly where the
 * original relies on the JVM default charset (UTF-8 on Java 18+ and in the Docker image).
 */
public final class InventoryCodec {

    static final String ALGO = "AES/GCM/NoPadding";
    static final int GCM_TAG_BITS = 128;
    static final int GCM_IV_BYTES = 12;

    private InventoryCodec() {
    }

    /**
     * Mapper configured like the Spring Boot one the application injects, as far as it matters
     * here: Instants as ISO-8601 text (what JavaTimeModule writes with WRITE_DATES_AS_TIMESTAMPS
     * disabled), unknown properties ignored on read, nulls included.
     */
    public static ObjectMapper mapper() {
        SimpleModule time = new SimpleModule("instant-as-iso8601");
        time.addSerializer(Instant.class, ToStringSerializer.instance);
        time.addDeserializer(Instant.class, new StdDeserializer<Instant>(Instant.class) {
            @Override
            public Instant deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
                return Instant.parse(p.getValueAsString());
            }
        });
        return new ObjectMapper()
                .registerModule(time)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    /** The application encrypts only when the key has exactly 16 characters. */
    public static boolean encrypts(String key) {
        return key != null && key.length() == 16;
    }

    /** EncryptionUtils.encrypt: Base64(IV || ciphertext || tag), fresh random IV. */
    public static String encrypt(String data, String key) throws GeneralSecurityException {
        byte[] iv = new byte[GCM_IV_BYTES];
        new SecureRandom().nextBytes(iv);
        Cipher cipher = Cipher.getInstance(ALGO);
        cipher.init(Cipher.ENCRYPT_MODE,
                new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "AES"),
                new GCMParameterSpec(GCM_TAG_BITS, iv));
        byte[] encrypted = cipher.doFinal(data.getBytes(StandardCharsets.UTF_8));
        byte[] out = new byte[iv.length + encrypted.length];
        System.arraycopy(iv, 0, out, 0, iv.length);
        System.arraycopy(encrypted, 0, out, iv.length, encrypted.length);
        return Base64.getEncoder().encodeToString(out);
    }

    /** EncryptionUtils.decrypt: strict Base64 decode, then AES-GCM open. */
    public static String decrypt(String encryptedBase64, String key) throws GeneralSecurityException {
        byte[] in = Base64.getDecoder().decode(encryptedBase64);
        Cipher cipher = Cipher.getInstance(ALGO);
        cipher.init(Cipher.DECRYPT_MODE,
                new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "AES"),
                new GCMParameterSpec(GCM_TAG_BITS, in, 0, GCM_IV_BYTES));
        byte[] plain = cipher.doFinal(in, GCM_IV_BYTES, in.length - GCM_IV_BYTES);
        return new String(plain, StandardCharsets.UTF_8);
    }

    /**
     * InventoryFileLoader.backup() after the database export: default pretty printer, encrypt
     * if the key has 16 characters, Files.writeString (create/truncate in place, no fsync).
     */
    public static void backup(ObjectMapper mapper, InventoryDTO inventory, Path file, String key)
            throws IOException, GeneralSecurityException {
        String json = mapper.writerWithDefaultPrettyPrinter().writeValueAsString(inventory);
        Files.writeString(file, encrypts(key) ? encrypt(json, key) : json);
    }

    /**
     * InventoryFileLoader.restore() before the database import: Files.readString, decrypt if the
     * key has 16 characters, Jackson into InventoryDTO.
     */
    public static InventoryDTO restore(ObjectMapper mapper, Path file, String key)
            throws IOException, GeneralSecurityException {
        String content = Files.readString(file);
        String json = encrypts(key) ? decrypt(content, key) : content;
        return mapper.readValue(json, InventoryDTO.class);
    }
}
