import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;
import java.util.UUID;

/** Mirrors the Java PromSNMP DiscoverySeedDTO. */
@JsonPropertyOrder({"id", "potentialTargets", "port", "version", "agentType", "readCommunity",
        "securityName", "securityLevel", "authProtocol", "authPassphrase", "privProtocol",
        "privPassphrase"})
public class DiscoverySeedDTO {
    public UUID id;
    public List<String> potentialTargets;
    public int port;
    /** "v2c" / "v3" (a string here, unlike Agent.version). */
    public String version;
    public String agentType;
    public String readCommunity;
    public String securityName;
    public int securityLevel;
    public String authProtocol;
    public String authPassphrase;
    public String privProtocol;
    public String privPassphrase;
}
