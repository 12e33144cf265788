import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.ArrayList;
import java.util.List;

/** Mirrors the Java PromSNMP InventoryDTO: the whole inventory file. */
@JsonPropertyOrder({"devices", "discoverySeeds"})
public class InventoryDTO {
    public List<NetworkDevice> devices = new ArrayList<>();
    public List<DiscoverySeedDTO> discoverySeeds = new ArrayList<>();
}
