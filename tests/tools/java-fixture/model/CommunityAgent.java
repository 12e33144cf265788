import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** Mirrors the Java PromSNMP CommunityAgent (SNMPv1/v2c). */
@JsonPropertyOrder({"id", "endpoint", "version", "timeout", "retries", "discoveredAt",
        "readCommunity", "writeCommunity"})
public class CommunityAgent extends Agent {
    public String readCommunity;
    public String writeCommunity;

    @Override
    public String getType() {
        return "snmp-community";
    }
}
