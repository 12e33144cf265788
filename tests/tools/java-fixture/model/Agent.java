import com.fasterxml.jackson.annotation.JsonBackReference;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import java.time.Instant;
import java.util.UUID;

/**
 * Mirrors the Java PromSNMP Agent (polymorphic on "type").
 *
 * Subclasses repeat the whole order: a subclass @JsonPropertyOrder replaces this one.
 * "type" is deliberately not listed, so getType() comes last, after the type id Jackson
 * writes first.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = CommunityAgent.class, name = "snmp-community"),
        @JsonSubTypes.Type(value = UserAgent.class, name = "snmp-user")
})
@JsonPropertyOrder({"id", "endpoint", "version", "timeout", "retries", "discoveredAt"})
public abstract class Agent {
    public UUID id;
    public AgentEndpoint endpoint;
    /** SNMP4J numbering: 0 = v1, 1 = v2c, 3 = v3. */
    public int version;
    public long timeout = 1500;
    public int retries = 1;
    public Instant discoveredAt;
    /** Back reference to the owning device; never serialised. */
    @JsonBackReference
    public NetworkDevice device;

    /** Serialised as a regular property after all others: the second "type" key. */
    public abstract String getType();
}
