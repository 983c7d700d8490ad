#include "log/chunker.h"

#include <stdbool.h>
#include <stdint.h>

/* 256 random 64-bit values (splitmix64 from a fixed seed): the gear hash
 * adds one per byte. Fixed forever: changing them moves every cut, and the
 * chunks stored before would stop matching new logs. */
static const uint64_t gear[256] = {
    0x0e426cf0c9d87e43u, 0x9c41beceb3989c6fu, 0x8643b69f1346246du, 0x831d695afe13d6bfu,
    0x4562a0ba98b91bffu, 0x41914082396c2864u, 0x5ffc3301b6d80ce3u, 0xb59ee83d1a1f5efcu,
    0x8b645d9f3cce8f71u, 0x9924ba51d32312ccu, 0x09de2f611b56d399u, 0xe34fd99eaa5bb2a0u,
    0x5334fd8241017c3du, 0xf7730ea7f4f12ae7u, 0x28c8f50a3310b9d2u, 0x0d5f96fcd70c64b2u,
    0xbe862999c8d0b54fu, 0xe8acc2960d6ce893u, 0x1a2284d2147ad071u, 0xf08a7c15c1eaa3c2u,
    0xa3893ee740e0d624u, 0xd2b97efedf240755u, 0xee1e84f715cccfafu, 0x6fbb53b8dc0372ecu,
    0x05b5a509154030bbu, 0xc637aae267b4527cu, 0x3a9c28a303d6a2a0u, 0x62f23d5022b1553fu,
    0xc74640460a7eb257u, 0xe5ff2b8de839e2dfu, 0xf26cad4a288b8741u, 0x475192dc4fda39c9u,
    0xf9c36f186c1fa98au, 0x8d177905db627fb1u, 0x6261f43157e7943bu, 0x70efa46146b8add4u,
    0x2607024244695a2bu, 0x323398e8b5a8f370u, 0xc0193ae27d7d9e66u, 0xfcb0254cd0de3125u,
    0xbe9bdbf9c3e4763au, 0x3a14ce30e9840314u, 0x6e7032be9eff41d1u, 0x32d4335de833bebdu,
    0xc06e2aa607a52d87u, 0xb9b935e8365c4dbeu, 0x63196a9bc5fb45fdu, 0xb25dc074a89a0ad7u,
    0xac88b4d7b0a03b40u, 0x475163c4ad5fe676u, 0xaed0dd7baa7f2396u, 0x842c8069d5b1e7beu,
    0x1fddf19a0a6316f4u, 0x22b2f99ff4f904e0u, 0xda3f4c72dddea548u, 0x13d889053a917ff5u,
    0x0df4c4ac649d4c85u, 0x397364808e0b49ebu, 0xbcc682611564bf16u, 0xbbec2d44f05b3ddau,
    0x56035b9e33f91315u, 0xfdc88e8042a03498u, 0xd319d09967635fccu, 0x322417e97b1fec48u,
    0x0fdec066be3de7b8u, 0x26512da2f2eab104u, 0xa14cf7da185aa0fcu, 0xfe97f5fdec67872fu,
    0xe333bfe3109f66bau, 0x95d66fe95a7e100cu, 0x2f4d55be3866f556u, 0xa029bb760e1a14bdu,
    0x2107ae902ae980d5u, 0x515f7b623d308008u, 0x550c1b92de83b27fu, 0xeb7b5901f44ecd3fu,
    0x777988252d3744a5u, 0xba1e50e5fae88018u, 0xb2486d7effcfb60fu, 0xb9254bd8271e908au,
    0xcb56d234233943d6u, 0x133e74a9e3bb7821u, 0xf63fd3d14dbd031au, 0x04b013fa57d66d7fu,
    0x4a8ab0ea10194cdbu, 0x47e6bd4b0a751c30u, 0x713dc15f20db8199u, 0x1a321a50bc8912bdu,
    0x3f59a8f107e61948u, 0xfa0234a6db96beceu, 0xfc7d4b6d1c721351u, 0xa048b698431f4d23u,
    0xec5817e59f65f74bu, 0x852dddbab097fe44u, 0x41c9d61d2ecad392u, 0xf579e0b02c3b31d5u,
    0xf98a39d32bf2d017u, 0x6a8e50afca369996u, 0x72ae0b4840bca72du, 0x5759b0725337c1b2u,
    0xa32239b34fe89fb9u, 0xb03e5c261618d9a9u, 0x914e99a3c0e03d75u, 0x7bcedc33362be20au,
    0x5f7d5324a5682983u, 0x6d9c11587a1f36feu, 0x206bb7be8c87e50au, 0x5651935b432caaf9u,
    0x198147e71991cb58u, 0x6e681cec999b5931u, 0x4ff290b596ecf172u, 0xf7cc868eef7274b1u,
    0x06475cbb14d662aau, 0x9a083cd6724780bbu, 0x2bfc30d5a9634e7bu, 0x1b07f32b9afb0429u,
    0x73aa3c4c590c8495u, 0xe88db92cd6bbdc79u, 0xb6657352efbd0531u, 0x79aa47b1a782f277u,
    0xe259ffec7469ac90u, 0x152dd0ba68fcca2cu, 0xc3e42563e1bd41beu, 0x211fce9e671234d0u,
    0x8be9b37001f60602u, 0x5ce6e4bfc67a46ebu, 0xc1bee442617e3060u, 0xf4f5f8be02d092a8u,
    0x16391bbf186ce33cu, 0x9937766fcf832903u, 0x7231667cdc644280u, 0x99ca067c80a5f124u,
    0x17404658aa6c8427u, 0x38e86899210098ebu, 0xd26f1e8ce9733a53u, 0xc65386e3f4463109u,
    0x38c1a0a40a13116fu, 0xb81b9ce186d5d717u, 0xd0d20bceaa6a0aefu, 0xc3e37034b5866f60u,
    0x4c7729526e9d7f11u, 0x635b7d35b0822299u, 0xbc38ae1fd2f16160u, 0x783d15e521357fc0u,
    0xdc9b5e3ac214b7d1u, 0x172aa50c3b28ebc5u, 0x542656d983247c4cu, 0xab2781aedc6e45d3u,
    0xd2d10bc8c042e3d3u, 0xf07843c12828490au, 0x6b67eca8f175c319u, 0x30b4a775923d9e5cu,
    0xc91dd096f8bc9d69u, 0x142a47b46abaf7ecu, 0x3f7e9cd85f1ef4ffu, 0x23438c284a345348u,
    0xdc2e596ee926d5e4u, 0x3328936774cd9cf3u, 0x061fb537d2ed3059u, 0x5a3be70206768654u,
    0x4b2325f73a0c47e2u, 0x669c143da93c2714u, 0xfcea3729bd8b9e13u, 0xa651e3c299b31fa3u,
    0xd753f3c6637f2710u, 0x1c46f923d45c04adu, 0x6aa0ef8c4f9d688au, 0x9e2dd8ba34b5374fu,
    0xba4313c5fdd818dcu, 0xb3fc7b55e8d141f0u, 0x0365572bc34461ddu, 0x435256c1353be7bcu,
    0x032300cb138ec899u, 0x42ded25504a388a3u, 0x8664ef85aeccb5dfu, 0x69e3a227e6633921u,
    0x31e3152b608ac25au, 0x62c62b9d3b8ba21du, 0x3f57ebf47fc04f43u, 0x5ef42a477d83c3bdu,
    0xe5010eda3593099bu, 0x5f2feebd1e9eb813u, 0x9f0f91cac922c1dfu, 0xe186bbe74dffda36u,
    0x4ada7e58eb96fcc7u, 0x5c624bf92af41683u, 0xb09f0523871383d5u, 0x5fa87e43a7f10528u,
    0xb78940ef1c0d73a4u, 0xafb50933fd42c311u, 0x9dc7df9bbbbc416du, 0xff20bf40287914fcu,
    0xfaf545f9b7d71306u, 0xc931eff26ad20a81u, 0x245391fbbad5b313u, 0x34617fcf6e229bf8u,
    0x4ff0c44799636f5cu, 0x0dedbfe40816c3c0u, 0x2f9232f486382085u, 0x9803db0703c0f252u,
    0x58529c098ec9d09cu, 0xbe889da840b1aac9u, 0xe3bd9104429d92c8u, 0xcade2f29c04b3137u,
    0x73ff9d3e880369c8u, 0xe2b5c0f74c4f907eu, 0x960a416644c9468cu, 0x63a8788ca6cc350du,
    0x7bb2f0807611a3fdu, 0x6b7805d9362a1f72u, 0x471c3827eedb4a7au, 0x9304d7a96beb25aeu,
    0xb10112cd61aa79a7u, 0xb6973c054a284334u, 0x11f11ea57679fab9u, 0x2efbc8bfc65eff2cu,
    0x5c9ccd234861b92fu, 0xaaac1cd797fa3566u, 0x6b5075e26fa5a9d9u, 0x5996ec80466d9e10u,
    0x2e99d4345d859e3cu, 0x42bc5edcf3531b00u, 0x241fdf93eec40386u, 0xfb87d60b62c0cc35u,
    0x342c6a3ffdf33864u, 0x2762bd7361b20818u, 0xde853a6cfeddeb7du, 0xd61a0ae385e6f8fbu,
    0x978887d84100bda7u, 0x0b5d5a4244f0c510u, 0x085f9e552fd75453u, 0xddfb01fe0af5e457u,
    0x3a1a3f3c7aec9bb0u, 0x7d32fe9567b5f0b9u, 0xd7c74ee3f77c39bbu, 0xdaa9a13f3cbac5c7u,
    0x9f23935c56cfa58du, 0xf214526a26fbfd99u, 0xf3d6d96bc15b689du, 0x0121eb233299ce0au,
    0x0c06da13bdf89575u, 0xeea9b08e5988242bu, 0x145d65ceb1295f5bu, 0x879590d12cfec478u,
    0x2d63a4e652a09b96u, 0x80326c69cd9258e5u, 0xa109d6014d6b8475u, 0xe1522d2535d83082u,
    0xfb150c5cf022aa3cu, 0x02eba6812717dd29u, 0xcf03e6bda0a492e8u, 0x2ee0aa25d393fe4bu,
    0x7dc1ea3507d6f4beu, 0xb721c58cb8f41cf5u, 0x53d8fb7f32d87b04u, 0xc7a6931cff24063eu,
};

/* The hash is shifted left once a byte, so its top bits depend on the last 64
 * bytes: the masks take their bits from the top. Before AVG a cut needs two
 * more bits to match, after it two fewer (normalization level 2): sizes
 * cluster around AVG instead of spreading out exponentially. */
#define AVG_BITS 10
#define MASK_TOP(bits) (((UINT64_C(1) << (bits)) - 1) << (64 - (bits)))
#define MASK_HARD MASK_TOP(AVG_BITS + 2)
#define MASK_EASY MASK_TOP(AVG_BITS - 2)

_Static_assert((1 << AVG_BITS) == TG_CHUNK_AVG, "TG_CHUNK_AVG is 2^AVG_BITS");

static const bool boundary_byte[256] = {['{'] = true, [','] = true, [']'] = true, ['}'] = true};

/* Whether a chunk may end before data[i]: where a JSON object starts (`{"`,
 * or `{\"` inside a JSON string, right after `[`, `,` or `:`, perhaps with
 * a space between) or has just ended (`}` then `,`, `]` or `}`). Logs are
 * JSON, and their repeats are whole values: a tools array, the blocks of a
 * system prompt, the messages of a conversation (also inside an `input`
 * string), a response resent as the next request's last message. Cutting
 * around them puts the bytes that change (a per-request header block, the
 * turn appended at the end) in chunks of their own, where a cut by the hash
 * alone would carry the neighbouring kilobyte of unchanged text along.
 * Decided by the bytes around i only, so still content-defined. */
static bool at_object_edge(const unsigned char *data, size_t len, size_t i)
{
    if (data[i - 1] == '}' && (data[i] == ',' || data[i] == ']' || data[i] == '}'))
        return true; /* and one ends: the bytes after it are another story */
    if (data[i] != '{' || i + 2 >= len || !(data[i + 1] == '"' || (data[i + 1] == '\\' && data[i + 2] == '"')))
        return false;
    size_t j = i - 1;
    if (data[j] == ' ' && j > 0)
        j--;
    return data[j] == '[' || data[j] == ',' || data[j] == ':';
}

size_t tg_chunk_next(const unsigned char *data, size_t len)
{
    if (len <= TG_CHUNK_ANCHOR_MIN)
        return len;
    size_t end = len < TG_CHUNK_MAX ? len : TG_CHUNK_MAX;
    size_t normal = len < TG_CHUNK_AVG ? len : TG_CHUNK_AVG;
    uint64_t h = 0;
    size_t i = TG_CHUNK_ANCHOR_MIN;
    for (; i < TG_CHUNK_MIN && i < end; i++) {
        if (boundary_byte[data[i]] && at_object_edge(data, len, i))
            return i;
    }
    for (; i < normal; i++) {
        if (boundary_byte[data[i]] && at_object_edge(data, len, i))
            return i;
        h = (h << 1) + gear[data[i]];
        if (!(h & MASK_HARD))
            return i + 1;
    }
    for (; i < end; i++) {
        if (boundary_byte[data[i]] && at_object_edge(data, len, i))
            return i;
        h = (h << 1) + gear[data[i]];
        if (!(h & MASK_EASY))
            return i + 1;
    }
    return end;
}

size_t tg_chunk_cuts(const void *data, size_t len, size_t *ends, size_t max)
{
    const unsigned char *p = data;
    size_t at = 0, n = 0;
    while (at < len && n < max) {
        at += tg_chunk_next(p + at, len - at);
        ends[n++] = at;
    }
    if (n > 0)
        ends[n - 1] = len;
    return n;
}
