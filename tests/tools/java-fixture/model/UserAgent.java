import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** Mirrors the Java PromSNMP UserAgent (SNMPv3 USM). */
@JsonPropertyOrder({"id", "endpoint", "version", "timeout", "retries", "discoveredAt",
        "securityName", "securityLevel", "authProtocol", "authPassphrase", "privProtocol",
        "privPassphrase", "engineId"})
public class UserAgent extends Agent {
    public String securityName;
    /** 1 = noAuthNoPriv, 2 = authNoPriv, 3 = authPriv. */
    public int securityLevel;
    public String authProtocol;
    public String authPassphrase;
    public String privProtocol;
    public String privPassphrase;
    public String engineId;

    @Override
    public String getType() {
        return "snmp-user";
    }
}
