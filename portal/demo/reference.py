"""Reference data for the demo world: airports, routes and fares of a Beijing-based airline,
the branch network, city geography, and the parts Chinese names are built from."""

import math

# --- Airports -------------------------------------------------------------------------------
# code: (city in Chinese, city in English, latitude, longitude)
AIRPORTS = {
    "PEK": ("北京", "Beijing", 40.0801, 116.5846),
    "SHA": ("上海", "Shanghai", 31.1979, 121.3363),
    "PVG": ("上海", "Shanghai", 31.1443, 121.8083),
    "CAN": ("广州", "Guangzhou", 23.3924, 113.2988),
    "SZX": ("深圳", "Shenzhen", 22.6393, 113.8107),
    "CTU": ("成都", "Chengdu", 30.5785, 103.9471),
    "TFU": ("成都", "Chengdu", 30.3197, 104.4450),
    "HGH": ("杭州", "Hangzhou", 30.2295, 120.4344),
    "NGB": ("宁波", "Ningbo", 29.8267, 121.4619),
    "CKG": ("重庆", "Chongqing", 29.7192, 106.6417),
    "MIG": ("绵阳", "Mianyang", 31.4281, 104.7410),
    "XIY": ("西安", "Xi'an", 34.4471, 108.7516),
    "KMG": ("昆明", "Kunming", 25.1019, 102.9292),
    "WUH": ("武汉", "Wuhan", 30.7838, 114.2081),
    "XMN": ("厦门", "Xiamen", 24.5440, 118.1277),
    "NKG": ("南京", "Nanjing", 31.7420, 118.8620),
    "CSX": ("长沙", "Changsha", 28.1892, 113.2196),
    "TAO": ("青岛", "Qingdao", 36.3619, 120.0881),
    "DLC": ("大连", "Dalian", 38.9657, 121.5386),
    "SHE": ("沈阳", "Shenyang", 41.6398, 123.4834),
    "HRB": ("哈尔滨", "Harbin", 45.6234, 126.2503),
    "URC": ("乌鲁木齐", "Urumqi", 43.9071, 87.4742),
    "HAK": ("海口", "Haikou", 19.9349, 110.4590),
    "SYX": ("三亚", "Sanya", 18.3029, 109.4122),
    "NNG": ("南宁", "Nanning", 22.6083, 108.1722),
    "KWE": ("贵阳", "Guiyang", 26.5385, 106.8008),
    "FOC": ("福州", "Fuzhou", 25.9351, 119.6633),
    "CGO": ("郑州", "Zhengzhou", 34.5197, 113.8409),
    "LHW": ("兰州", "Lanzhou", 36.5152, 103.6200),
    "HFE": ("合肥", "Hefei", 31.9894, 116.9769),
    "LXA": ("拉萨", "Lhasa", 29.2978, 90.9119),
    "HKG": ("香港", "Hong Kong", 22.3080, 113.9185),
    "MFM": ("澳门", "Macau", 22.1496, 113.5920),
    "TPE": ("台北", "Taipei", 25.0777, 121.2328),
    "NRT": ("东京", "Tokyo", 35.7720, 140.3929),
    "KIX": ("大阪", "Osaka", 34.4347, 135.2440),
    "ICN": ("首尔", "Seoul", 37.4602, 126.4407),
    "SIN": ("新加坡", "Singapore", 1.3644, 103.9915),
    "BKK": ("曼谷", "Bangkok", 13.6900, 100.7501),
    "SYD": ("悉尼", "Sydney", -33.9399, 151.1753),
    "MEL": ("墨尔本", "Melbourne", -37.6690, 144.8410),
    "JFK": ("纽约", "New York", 40.6413, -73.7781),
    "LAX": ("洛杉矶", "Los Angeles", 33.9416, -118.4085),
    "SFO": ("旧金山", "San Francisco", 37.6213, -122.3790),
    "IAH": ("休斯敦", "Houston", 29.9902, -95.3368),
    "YVR": ("温哥华", "Vancouver", 49.1967, -123.1815),
    "FRA": ("法兰克福", "Frankfurt", 50.0379, 8.5622),
    "MUC": ("慕尼黑", "Munich", 48.3537, 11.7750),
    "LHR": ("伦敦", "London", 51.4700, -0.4543),
    "CDG": ("巴黎", "Paris", 49.0097, 2.5479),
    "FCO": ("罗马", "Rome", 41.8003, 12.2389),
    "MAD": ("马德里", "Madrid", 40.4983, -3.5676),
    "SVO": ("莫斯科", "Moscow", 55.9726, 37.4146),
}

# Mainland airports; everything else (Hong Kong, Macau, Taipei included) falls under an
# agreement's "international" discount scope, as 国际及地区 fares do.
DOMESTIC = frozenset(
    "PEK SHA PVG CAN SZX CTU TFU HGH NGB CKG MIG XIY KMG WUH XMN NKG CSX TAO DLC SHE HRB URC "
    "HAK SYX NNG KWE FOC CGO LHW HFE LXA".split()
)


def great_circle_km(a: str, b: str) -> int:
    """Great-circle distance between two airports in km (haversine, mean earth radius)."""
    _, _, lat1, lon1 = AIRPORTS[a]
    _, _, lat2, lon2 = AIRPORTS[b]
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * 6371.0 * math.asin(math.sqrt(h)))


# --- Routes ---------------------------------------------------------------------------------
# (first airport, second airport, cabins offered, flight numbers first -> second). The
# flight back is the next (even) number, the airline's usual pairing (CA1501 out, CA1502 back).
ROUTES = (
    # Beijing domestic trunk
    ("PEK", "SHA", "FCY", (1501, 1515, 1519, 1521, 1531, 1557, 1589)),
    ("PEK", "PVG", "FCY", (1831, 1855, 1883)),
    ("PEK", "CAN", "FCY", (1301, 1315, 1321, 1327)),
    ("PEK", "SZX", "FCY", (1303, 1305, 1317, 1339)),
    ("PEK", "CTU", "FCY", (1405, 1407, 1415, 1419)),
    ("PEK", "TFU", "CY", (1411, 1425)),
    ("PEK", "HGH", "FCY", (1701, 1703, 1715)),
    ("PEK", "XIY", "CY", (1201, 1205, 1215, 1223)),
    ("PEK", "KMG", "CY", (1403, 1417, 1429)),
    ("PEK", "CKG", "FCY", (1431, 1437, 1441)),
    ("PEK", "WUH", "CY", (1341, 1363)),
    ("PEK", "XMN", "CY", (1809, 1815)),
    ("PEK", "NKG", "CY", (1807, 1821)),
    ("PEK", "CSX", "CY", (1351, 1369)),
    ("PEK", "TAO", "CY", (1559, 1575)),
    ("PEK", "DLC", "CY", (1601, 1607)),
    ("PEK", "SHE", "CY", (1625, 1629)),
    ("PEK", "HRB", "CY", (1635, 1643)),
    ("PEK", "URC", "CY", (1291, 1295)),
    ("PEK", "HAK", "CY", (1371, 1373)),
    ("PEK", "SYX", "CY", (1375, 1377)),
    ("PEK", "NNG", "CY", (1385,)),
    ("PEK", "KWE", "CY", (1413,)),
    ("PEK", "FOC", "CY", (1823,)),
    ("PEK", "CGO", "CY", (1335,)),
    ("PEK", "NGB", "CY", (1725, 1729)),
    ("PEK", "LHW", "CY", (1273, 1275)),
    ("PEK", "HFE", "CY", (1595,)),
    ("PEK", "MIG", "CY", (1461,)),
    # Regional
    ("PEK", "HKG", "FCY", (101, 103, 111, 115)),
    ("PEK", "MFM", "CY", (187,)),
    ("PEK", "TPE", "CY", (185, 189)),
    ("PEK", "NRT", "CY", (925, 919)),
    ("PEK", "KIX", "CY", (161, 927)),
    ("PEK", "ICN", "CY", (123, 125, 131)),
    # Long-haul
    ("PEK", "SIN", "CWY", (975, 969)),
    ("PEK", "BKK", "CY", (979, 959)),
    ("PEK", "SYD", "CWY", (173,)),
    ("PEK", "MEL", "CWY", (165,)),
    ("PEK", "JFK", "FCWY", (981, 989)),
    ("PEK", "LAX", "FCWY", (983,)),
    ("PEK", "SFO", "CWY", (985,)),
    ("PEK", "IAH", "CWY", (995,)),
    ("PEK", "YVR", "CWY", (991,)),
    ("PEK", "FRA", "FCWY", (931, 965)),
    ("PEK", "MUC", "CWY", (961,)),
    ("PEK", "LHR", "FCWY", (937, 855)),
    ("PEK", "CDG", "FCWY", (933,)),
    ("PEK", "FCO", "CWY", (939,)),
    ("PEK", "MAD", "CWY", (907,)),
    ("PEK", "SVO", "CWY", (909,)),
    # Between other cities (numbered in the series of the branch that operates them)
    ("SHA", "CAN", "CY", (1839, 1847)),
    ("SHA", "SZX", "CY", (1857,)),
    ("CTU", "SHA", "FCY", (4501, 4503, 4507)),
    ("CTU", "PVG", "CY", (4517,)),
    ("CTU", "CAN", "CY", (4307, 4309)),
    ("CTU", "SZX", "CY", (4317, 4319)),
    ("CTU", "HGH", "CY", (4491, 4493)),
    ("CTU", "KMG", "CY", (4409,)),
    ("CTU", "XIY", "CY", (4211,)),
    ("CTU", "WUH", "CY", (4361,)),
    ("CTU", "NKG", "CY", (4513,)),
    ("CTU", "XMN", "CY", (4421,)),
    ("CTU", "LXA", "CY", (4401, 4403)),
    ("TFU", "SHA", "CY", (4521,)),
    ("TFU", "CAN", "CY", (4331,)),
    ("TFU", "SZX", "CY", (4341,)),
    ("TFU", "HGH", "CY", (4495,)),
    ("CKG", "SHA", "CY", (4551, 4553)),
    ("CKG", "PVG", "CY", (4557,)),
    ("CKG", "CAN", "CY", (4337,)),
    ("CKG", "SZX", "CY", (4347,)),
    ("CKG", "HGH", "CY", (4471,)),
    ("CKG", "NKG", "CY", (4581,)),
    ("CKG", "XMN", "CY", (4591,)),
    ("HGH", "CAN", "CY", (1751,)),
    ("HGH", "SZX", "CY", (1757,)),
    ("HGH", "KMG", "CY", (1791,)),
    ("HGH", "XIY", "CY", (1771,)),
    ("HGH", "CSX", "CY", (1781,)),
)

# How much business travel each destination draws (a relative weight).
DESTINATION_WEIGHT = {
    "PEK": 10.0, "SHA": 6.0, "PVG": 3.5, "CAN": 6.0, "SZX": 7.0, "CTU": 5.0, "TFU": 1.5,
    "HGH": 4.0, "NGB": 1.2, "CKG": 3.5, "MIG": 0.4, "XIY": 3.0, "KMG": 2.0, "WUH": 3.0,
    "XMN": 2.0, "NKG": 3.0, "CSX": 2.0, "TAO": 2.0, "DLC": 1.5, "SHE": 1.5, "HRB": 1.2,
    "URC": 1.5, "HAK": 1.0, "SYX": 1.2, "NNG": 1.0, "KWE": 1.0, "FOC": 1.0, "CGO": 1.5,
    "LHW": 0.8, "HFE": 1.0, "LXA": 0.5, "HKG": 3.0, "MFM": 0.5, "TPE": 0.5,
    "NRT": 2.0, "KIX": 1.0, "ICN": 1.5, "SIN": 1.5, "BKK": 1.0, "SYD": 0.8, "MEL": 0.5,
    "JFK": 1.5, "LAX": 1.2, "SFO": 1.2, "IAH": 0.5, "YVR": 0.6, "FRA": 1.5, "MUC": 0.8,
    "LHR": 1.2, "CDG": 1.0, "FCO": 0.4, "MAD": 0.4, "SVO": 0.6,
}  # fmt: skip

# Where each industry travels more than others (multiplies DESTINATION_WEIGHT).
INDUSTRY_AFFINITY = {
    "energy": {"URC": 4, "XIY": 2, "LHW": 3, "SHE": 2, "HRB": 2, "SVO": 3, "DLC": 2},
    "finance": {"SHA": 2, "PVG": 2, "SZX": 2, "HKG": 4, "SIN": 2, "LHR": 2, "JFK": 2},
    "technology": {"SZX": 2.5, "HGH": 2.5, "SFO": 4, "NKG": 1.5, "SIN": 1.5, "XIY": 1.5},
    "manufacturing": {"CKG": 2, "WUH": 2, "SHE": 2, "FRA": 2, "MUC": 2, "CGO": 1.5},
    "telecom": {"SZX": 2, "NKG": 1.5, "XIY": 1.5, "LHR": 1.5, "BKK": 2},
    "construction": {"URC": 2, "KMG": 2, "KWE": 2, "NNG": 2, "SIN": 2, "BKK": 3},
    "pharma": {"SHA": 1.5, "HGH": 1.5, "FRA": 2, "JFK": 2, "IAH": 2, "ICN": 1.5},
    "education": {"XIY": 1.5, "WUH": 2, "NKG": 2, "LHR": 2, "SYD": 3, "MEL": 3, "YVR": 2},
    "media": {"SHA": 2, "CSX": 3, "HGH": 1.5, "LAX": 3, "TPE": 2, "HKG": 1.5},
    "logistics": {"SZX": 1.5, "CAN": 2, "TAO": 2, "XMN": 2, "FRA": 2, "SIN": 2},
    "retail": {"HGH": 2, "CAN": 1.5, "XMN": 1.5, "NRT": 2, "ICN": 2, "KIX": 2},
    "consulting": {"SHA": 2, "HKG": 2, "SIN": 2, "LHR": 2, "CDG": 2, "JFK": 2},
    "automotive": {"CKG": 2.5, "WUH": 2.5, "CAN": 1.5, "SHE": 2, "MUC": 4, "FRA": 2},
    "government": {"URC": 1.5, "LXA": 3, "LHW": 1.5, "KWE": 1.5, "NNG": 1.5},
}

# Share of trips that are international, by industry (before a per-company factor).
INDUSTRY_INTERNATIONAL = {
    "government": 0.03, "energy": 0.08, "finance": 0.14, "technology": 0.13, "manufacturing": 0.10,
    "telecom": 0.10, "construction": 0.09, "pharma": 0.12, "education": 0.08, "media": 0.07,
    "logistics": 0.10, "retail": 0.06, "consulting": 0.16, "automotive": 0.12,
}  # fmt: skip

# Share of trips in premium cabins (F, C, W), by industry (before a per-company factor).
INDUSTRY_PREMIUM = {
    "government": 0.07, "energy": 0.12, "finance": 0.18, "technology": 0.10, "manufacturing": 0.08,
    "telecom": 0.10, "construction": 0.07, "pharma": 0.12, "education": 0.05, "media": 0.11,
    "logistics": 0.06, "retail": 0.07, "consulting": 0.15, "automotive": 0.10,
}  # fmt: skip

INDUSTRY_WEIGHT = {
    "technology": 14, "manufacturing": 12, "finance": 11, "energy": 9, "construction": 8,
    "government": 6, "pharma": 6, "telecom": 5, "consulting": 5, "automotive": 5, "logistics": 5,
    "retail": 5, "media": 4, "education": 5,
}  # fmt: skip

# --- Fares ----------------------------------------------------------------------------------
# Booking classes per cabin with their weight among corporate travellers and their price
# relative to the cabin's reference fare.
FARE_CLASSES = {
    "F": (("F", 70, 1.00), ("A", 30, 0.85)),
    "C": (("J", 35, 1.00), ("C", 25, 0.92), ("D", 20, 0.85), ("Z", 12, 0.78), ("R", 8, 0.70)),
    "W": (("G", 55, 1.00), ("E", 45, 0.85)),
    "Y": (
        ("Y", 24, 1.00), ("B", 18, 0.92), ("M", 16, 0.86), ("U", 11, 0.80), ("H", 10, 0.75),
        ("Q", 8, 0.70), ("V", 6, 0.66), ("L", 4, 0.62), ("K", 3, 0.60),
    ),
}  # fmt: skip


def reference_fare_cny(distance_km: int, international: bool, cabin: str) -> float:
    """The cabin's reference one-way fare in CNY before booking class and discount."""
    if not international:
        economy = 450 + 0.85 * distance_km
        multiple = {"F": 4.8, "C": 3.3, "W": 1.6, "Y": 1.0}[cabin]
    elif distance_km < 3500:
        economy = 900 + 0.7 * distance_km
        multiple = {"F": 6.0, "C": 3.6, "W": 1.6, "Y": 1.0}[cabin]
    else:
        economy = 1800 + 0.5 * distance_km
        multiple = {"F": 7.5, "C": 4.5, "W": 1.7, "Y": 1.0}[cabin]
    return economy * multiple


# --- Branch network and geography ----------------------------------------------------------
# (code, name, English name, city, share of companies, offices); an office is
# (code, name, English name, city, share within the branch, districts it covers).
BRANCHES = (
    ("BJS", "北京分公司", "Beijing Branch", "北京", 0.40, (
        ("BJS-CY", "朝阳营业部", "Chaoyang Sales Office", "北京", 0.34, ("朝阳区", "东城区")),
        ("BJS-HD", "海淀营业部", "Haidian Sales Office", "北京", 0.26, ("海淀区", "丰台区")),
        ("BJS-XC", "西城营业部", "Xicheng Sales Office", "北京", 0.22, ("西城区", "丰台区")),
        ("BJS-DC", "东城营业部", "Dongcheng Sales Office", "北京", 0.18, ("东城区", "通州区")),
    )),
    ("SHA", "上海分公司", "Shanghai Branch", "上海", 0.18, (
        ("SHA-PD", "浦东营业部", "Pudong Sales Office", "上海", 0.42, ("浦东新区",)),
        ("SHA-XH", "徐汇营业部", "Xuhui Sales Office", "上海", 0.30, ("徐汇区", "长宁区")),
        ("SHA-HP", "黄浦营业部", "Huangpu Sales Office", "上海", 0.28, ("黄浦区", "静安区")),
    )),
    ("CAN", "广东分公司", "Guangdong Branch", "广州", 0.15, (
        ("CAN-TH", "广州天河营业部", "Guangzhou Tianhe Sales Office", "广州", 0.32, ("天河区", "海珠区")),
        ("CAN-YX", "广州越秀营业部", "Guangzhou Yuexiu Sales Office", "广州", 0.20, ("越秀区", "海珠区")),
        ("SZX-FT", "深圳福田营业部", "Shenzhen Futian Sales Office", "深圳", 0.26, ("福田区", "罗湖区")),
        ("SZX-NS", "深圳南山营业部", "Shenzhen Nanshan Sales Office", "深圳", 0.22, ("南山区",)),
    )),
    ("CTU", "西南分公司", "Southwest Branch", "成都", 0.11, (
        ("CTU-JJ", "成都锦江营业部", "Chengdu Jinjiang Sales Office", "成都", 0.45, ("锦江区", "青羊区")),
        ("CTU-GX", "成都高新营业部", "Chengdu Hi-tech Zone Sales Office", "成都", 0.40, ("高新区", "武侯区")),
        ("MIG-FC", "绵阳营业部", "Mianyang Sales Office", "绵阳", 0.15, ("涪城区",)),
    )),
    ("HGH", "浙江分公司", "Zhejiang Branch", "杭州", 0.09, (
        ("HGH-XH", "杭州西湖营业部", "Hangzhou Xihu Sales Office", "杭州", 0.40, ("西湖区", "上城区")),
        ("HGH-BJ", "杭州滨江营业部", "Hangzhou Binjiang Sales Office", "杭州", 0.35, ("滨江区",)),
        ("NGB-YZ", "宁波营业部", "Ningbo Sales Office", "宁波", 0.25, ("鄞州区", "海曙区")),
    )),
    ("CKG", "重庆分公司", "Chongqing Branch", "重庆", 0.07, (
        ("CKG-YZ", "渝中营业部", "Yuzhong Sales Office", "重庆", 0.55, ("渝中区", "江北区")),
        ("CKG-YB", "渝北营业部", "Yubei Sales Office", "重庆", 0.45, ("渝北区",)),
    )),
)  # fmt: skip

# city: English name and home airports with their share of the city's departures.
CITIES = {
    "北京": ("Beijing", (("PEK", 1.0),)),
    "上海": ("Shanghai", (("SHA", 0.6), ("PVG", 0.4))),
    "广州": ("Guangzhou", (("CAN", 1.0),)),
    "深圳": ("Shenzhen", (("SZX", 1.0),)),
    "成都": ("Chengdu", (("CTU", 0.7), ("TFU", 0.3))),
    "绵阳": ("Mianyang", (("MIG", 1.0),)),
    "杭州": ("Hangzhou", (("HGH", 1.0),)),
    "宁波": ("Ningbo", (("NGB", 1.0),)),
    "重庆": ("Chongqing", (("CKG", 1.0),)),
}

# district: (English name, administrative division code, roads)
DISTRICTS = {
    "朝阳区": (
        "Chaoyang",
        "110105",
        ("建国路", "东三环中路", "光华路", "朝阳门外大街", "亮马桥路", "望京街"),
    ),
    "东城区": ("Dongcheng", "110101", ("东长安街", "建国门内大街", "东直门南大街", "王府井大街")),
    "海淀区": ("Haidian", "110108", ("中关村大街", "知春路", "学院路", "海淀大街", "上地信息路")),
    "西城区": ("Xicheng", "110102", ("金融大街", "复兴门内大街", "西直门外大街", "月坛北街")),
    "丰台区": ("Fengtai", "110106", ("丽泽路", "南四环西路", "汽车博物馆东路")),
    "通州区": ("Tongzhou", "110112", ("新华大街", "运河东大街")),
    "浦东新区": ("Pudong", "310115", ("世纪大道", "陆家嘴环路", "张江路", "银城中路", "花园石桥路")),
    "徐汇区": ("Xuhui", "310104", ("漕溪北路", "虹桥路", "肇嘉浜路", "龙华中路")),
    "长宁区": ("Changning", "310105", ("仙霞路", "遵义路", "长宁路")),
    "黄浦区": ("Huangpu", "310101", ("南京东路", "淮海中路", "中山东一路", "西藏中路")),
    "静安区": ("Jing'an", "310106", ("南京西路", "延安中路", "江宁路")),
    "天河区": ("Tianhe", "440106", ("天河路", "珠江东路", "体育西路", "黄埔大道西", "林和西路")),
    "越秀区": ("Yuexiu", "440104", ("环市东路", "东风中路", "中山五路")),
    "海珠区": ("Haizhu", "440105", ("阅江西路", "新港东路")),
    "福田区": ("Futian", "440304", ("深南大道", "福华三路", "益田路", "金田路")),
    "罗湖区": ("Luohu", "440303", ("深南东路", "宝安南路")),
    "南山区": ("Nanshan", "440305", ("科技南十二路", "海德三道", "后海大道", "深南大道")),
    "锦江区": ("Jinjiang", "510104", ("红星路", "东大街", "总府路")),
    "青羊区": ("Qingyang", "510105", ("人民中路", "清江东路")),
    "高新区": ("Hi-tech Zone", "510109", ("天府大道", "交子大道", "益州大道", "天府三街")),
    "武侯区": ("Wuhou", "510107", ("人民南路", "科华北路", "一环路南一段")),
    "涪城区": ("Fucheng", "510703", ("临园路", "长虹大道")),
    "西湖区": ("Xihu", "330106", ("文三路", "天目山路", "古墩路", "西溪路")),
    "上城区": ("Shangcheng", "330102", ("解放路", "钱江路", "庆春路")),
    "滨江区": ("Binjiang", "330108", ("江南大道", "网商路", "长河路", "滨盛路")),
    "鄞州区": ("Yinzhou", "330212", ("天童南路", "首南中路")),
    "海曙区": ("Haishu", "330203", ("中山西路", "解放南路")),
    "渝中区": ("Yuzhong", "500103", ("民族路", "中山三路", "邹容路", "民生路")),
    "江北区": ("Jiangbei", "500105", ("北滨一路", "建新北路")),
    "渝北区": ("Yubei", "500112", ("金开大道", "星光大道", "新南路")),
}

BUILDING_SUFFIXES = ("大厦", "国际中心", "中心", "广场", "科技园", "金融中心")

# --- Names ----------------------------------------------------------------------------------
# Common surnames with pinyin and relative frequency.
SURNAMES = (
    ("王", "Wang", 71), ("李", "Li", 70), ("张", "Zhang", 67), ("刘", "Liu", 54), ("陈", "Chen", 45),
    ("杨", "Yang", 31), ("黄", "Huang", 22), ("赵", "Zhao", 21), ("吴", "Wu", 20), ("周", "Zhou", 19),
    ("徐", "Xu", 13), ("孙", "Sun", 12), ("马", "Ma", 11), ("朱", "Zhu", 11), ("胡", "Hu", 10),
    ("郭", "Guo", 10), ("何", "He", 9), ("林", "Lin", 9), ("高", "Gao", 8), ("罗", "Luo", 8),
    ("郑", "Zheng", 7), ("梁", "Liang", 7), ("谢", "Xie", 6), ("宋", "Song", 6), ("唐", "Tang", 6),
    ("许", "Xu", 5), ("韩", "Han", 5), ("冯", "Feng", 5), ("邓", "Deng", 5), ("曹", "Cao", 5),
    ("彭", "Peng", 4), ("曾", "Zeng", 4), ("肖", "Xiao", 4), ("田", "Tian", 4), ("董", "Dong", 4),
    ("袁", "Yuan", 4), ("潘", "Pan", 3), ("于", "Yu", 3), ("蒋", "Jiang", 3), ("蔡", "Cai", 3),
    ("余", "Yu", 3), ("杜", "Du", 3), ("叶", "Ye", 3), ("程", "Cheng", 3), ("苏", "Su", 3),
    ("魏", "Wei", 3), ("吕", "Lyu", 3), ("丁", "Ding", 3), ("任", "Ren", 3), ("沈", "Shen", 2),
    ("姚", "Yao", 2), ("卢", "Lu", 2), ("姜", "Jiang", 2), ("崔", "Cui", 2), ("钟", "Zhong", 2),
    ("谭", "Tan", 2), ("陆", "Lu", 2), ("汪", "Wang", 2), ("范", "Fan", 2), ("金", "Jin", 2),
    ("石", "Shi", 2), ("廖", "Liao", 2), ("贾", "Jia", 2), ("夏", "Xia", 2), ("欧阳", "Ouyang", 1),
)  # fmt: skip

GIVEN_CHARS = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀", "xiu"),
    ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("英", "ying"), ("华", "hua"), ("建", "jian"),
    ("国", "guo"), ("文", "wen"), ("辉", "hui"), ("玲", "ling"), ("鹏", "peng"), ("宇", "yu"),
    ("浩", "hao"), ("晨", "chen"), ("欣", "xin"), ("婷", "ting"), ("雪", "xue"), ("琳", "lin"),
    ("佳", "jia"), ("思", "si"), ("子", "zi"), ("涵", "han"), ("睿", "rui"), ("博", "bo"),
    ("志", "zhi"), ("海", "hai"), ("波", "bo"), ("宁", "ning"), ("慧", "hui"), ("晓", "xiao"),
    ("红", "hong"), ("立", "li"), ("新", "xin"), ("永", "yong"), ("春", "chun"), ("林", "lin"),
    ("斌", "bin"), ("峰", "feng"), ("亮", "liang"), ("雨", "yu"), ("嘉", "jia"), ("怡", "yi"),
    ("悦", "yue"), ("颖", "ying"), ("哲", "zhe"), ("凯", "kai"), ("帆", "fan"), ("阳", "yang"),
    ("倩", "qian"), ("萍", "ping"), ("瑶", "yao"), ("毅", "yi"), ("鑫", "xin"), ("昊", "hao"),
    ("轩", "xuan"), ("诗", "shi"), ("天", "tian"), ("健", "jian"), ("东", "dong"), ("振", "zhen"),
)  # fmt: skip

# Characters trade names (字号) are made of, with pinyin.
TRADE_CHARS = (
    ("华", "hua"), ("中", "zhong"), ("泰", "tai"), ("安", "an"), ("恒", "heng"), ("信", "xin"),
    ("达", "da"), ("通", "tong"), ("瑞", "rui"), ("祥", "xiang"), ("宏", "hong"), ("远", "yuan"),
    ("鑫", "xin"), ("盛", "sheng"), ("兴", "xing"), ("隆", "long"), ("昌", "chang"), ("汇", "hui"),
    ("金", "jin"), ("海", "hai"), ("天", "tian"), ("星", "xing"), ("辰", "chen"), ("宇", "yu"),
    ("博", "bo"), ("卓", "zhuo"), ("越", "yue"), ("创", "chuang"), ("新", "xin"), ("联", "lian"),
    ("合", "he"), ("亿", "yi"), ("万", "wan"), ("嘉", "jia"), ("和", "he"), ("弘", "hong"),
    ("德", "de"), ("润", "run"), ("丰", "feng"), ("源", "yuan"), ("鼎", "ding"), ("成", "cheng"),
    ("正", "zheng"), ("元", "yuan"), ("明", "ming"), ("晟", "sheng"), ("东", "dong"), ("方", "fang"),
    ("伟", "wei"), ("力", "li"), ("泽", "ze"), ("浩", "hao"), ("瀚", "han"), ("启", "qi"),
    ("睿", "rui"), ("智", "zhi"), ("航", "hang"), ("翔", "xiang"), ("腾", "teng"), ("飞", "fei"),
    ("云", "yun"), ("峰", "feng"), ("拓", "tuo"), ("景", "jing"), ("永", "yong"), ("益", "yi"),
    ("佳", "jia"), ("凯", "kai"), ("旭", "xu"), ("光", "guang"), ("辉", "hui"), ("诚", "cheng"),
    ("宁", "ning"), ("康", "kang"), ("骏", "jun"), ("朗", "lang"), ("聚", "ju"), ("融", "rong"),
)  # fmt: skip

# Words naming a company's line of business, by industry: (Chinese, English).
INDUSTRY_WORDS = {
    "technology": (("科技", "Technology"), ("信息技术", "Information Technology"),
                   ("网络科技", "Network Technology"), ("软件", "Software"),
                   ("智能科技", "Intelligent Technology"), ("数据科技", "Data Technology")),
    "energy": (("能源", "Energy"), ("石油化工", "Petrochemical"), ("电力", "Electric Power"),
               ("新能源", "New Energy"), ("燃气", "Gas")),
    "finance": (("投资", "Investment"), ("证券", "Securities"), ("金融控股", "Financial Holdings"),
                ("资产管理", "Asset Management"), ("保险", "Insurance"), ("融资租赁", "Financial Leasing")),
    "manufacturing": (("机械", "Machinery"), ("重工", "Heavy Industry"),
                      ("精密制造", "Precision Manufacturing"), ("电气", "Electric"), ("材料", "Materials"),
                      ("装备", "Equipment")),
    "telecom": (("通信", "Communications"), ("通信技术", "Communication Technology"),
                ("电信工程", "Telecom Engineering")),
    "construction": (("建设", "Construction"), ("建工", "Construction Engineering"), ("工程", "Engineering"),
                     ("路桥", "Road and Bridge"), ("置业", "Real Estate")),
    "pharma": (("医药", "Pharmaceutical"), ("生物科技", "Biotechnology"), ("医疗器械", "Medical Devices"),
               ("药业", "Pharmaceutical")),
    "education": (("教育科技", "Education Technology"), ("教育", "Education"), ("培训", "Training")),
    "media": (("文化传媒", "Culture and Media"), ("传媒", "Media"), ("影视", "Film and Television"),
              ("广告", "Advertising")),
    "logistics": (("物流", "Logistics"), ("供应链管理", "Supply Chain Management"),
                  ("国际货运代理", "International Freight Forwarding"), ("航运", "Shipping")),
    "retail": (("商贸", "Trading"), ("零售", "Retail"), ("电子商务", "E-Commerce")),
    "consulting": (("管理咨询", "Management Consulting"), ("咨询", "Consulting"),
                   ("企业管理", "Enterprise Management")),
    "automotive": (("汽车", "Automobile"), ("汽车零部件", "Auto Parts"),
                   ("汽车销售服务", "Auto Sales and Service")),
}  # fmt: skip

# Government bodies: (department, English).
GOVERNMENT_DEPARTMENTS = (
    ("发展和改革委员会", "Development and Reform Commission"),
    ("商务局", "Bureau of Commerce"),
    ("科学技术局", "Bureau of Science and Technology"),
    ("教育局", "Bureau of Education"),
    ("财政局", "Bureau of Finance"),
    ("交通运输局", "Bureau of Transport"),
    ("生态环境局", "Bureau of Ecology and Environment"),
    ("文化和旅游局", "Bureau of Culture and Tourism"),
    ("卫生健康委员会", "Health Commission"),
    ("人力资源和社会保障局", "Bureau of Human Resources and Social Security"),
    ("住房和城乡建设委员会", "Commission of Housing and Urban-Rural Development"),
    ("市场监督管理局", "Administration for Market Regulation"),
    ("外事办公室", "Foreign Affairs Office"),
    ("国有资产监督管理委员会", "State-owned Assets Supervision and Administration Commission"),
    ("统计局", "Bureau of Statistics"),
)

# --- Texts ----------------------------------------------------------------------------------
CONTACT_TITLES = {
    "travel_manager": ("差旅经理", "行政主管", "综合办公室主任", "行政经理"),
    "finance": ("财务经理", "财务总监", "会计主管"),
    "decision_maker": ("总经理", "副总经理", "行政总监", "采购总监"),
    "other": ("董事长秘书", "总经理助理", "人事专员"),
}

# Survey comments by mood: detractors (NPS 0-3, 4-7 mixed) and promoters (8-10).
SURVEY_COMMENTS = (
    (
        "改签手续太繁琐，候补一直没有结果。",
        "投诉处理太慢，希望客户经理多沟通。",
        "协议价格没有竞争力，考虑换航司。",
    ),
    ("整体还可以，高峰期优先座位不够用。", "希望增加早班机的配额。", "地面服务有待提升，贵宾室太挤。"),
    ("客户经理响应及时，服务很周到。", "优先订座很实用，出差安排省心。", "机上服务很好，继续保持。"),
)

TRAVELLER_NOTES = (
    "偏好早班机",
    "需要轮椅协助",
    "常坐前排靠过道",
    "公司高管，注意服务保障",
    "行程变动较多，注意改签时限",
    "国际航班请提前提醒签证有效期",
)

# Interaction summaries by kind; {contact}, {route}, {traveller}, {year}, {month}, {pct} are filled in.
SUMMARIES = {
    "visit": (
        "拜访{contact}，沟通{year}年度协议执行情况，目前完成率约{pct}%。",
        "上门拜访差旅负责人{contact}，介绍{route}航线新增航班及两舱升舱政策。",
        "与{contact}面谈，了解下季度出行计划，重点保障{route}等航线。",
        "赴客户总部拜访，回顾近期服务质量，客户对候补优先保障表示认可。",
        "陪同分公司领导拜访客户高层，商讨协议续签及国际航线折扣。",
        "拜访{contact}，核对协议价在差旅平台的生效情况及常旅客信息。",
    ),
    "call": (
        "电话回访{contact}，近期出行顺利，客户反馈良好。",
        "亲切关怀回访：询问重点旅客会员升级及里程累积情况。",
        "致电{contact}，提醒协议到期时间并预约面谈。",
        "电话沟通{route}航线座位保障需求。",
        "回访{contact}，确认上月问题处理结果，客户满意。",
    ),
    "email": (
        "发送{month}月出行数据报表及协议完成进度。",
        "邮件发送新版协议条款草案供客户审阅。",
        "发送{route}航线航季时刻调整通知。",
    ),
    "meeting": (
        "季度业务回顾会：双方复盘出行数据、成本节约及服务问题。",
        "参加客户年度差旅供应商评审会，介绍协议客户权益。",
        "与客户财务部召开对账会议，核对奖励返还计算口径。",
    ),
    "feedback": (
        "客户反馈{route}航班准点率较好，希望增加早班机选择。",
        "客户建议开通企业专属预订通道，提升出票效率。",
        "客户对贵宾室服务表示满意，建议增加休息区座位。",
    ),
    "complaint": (
        "客户投诉{route}航班延误后未及时通知，影响会议安排。",
        "旅客{traveller}行李到达时破损，客户要求赔偿。",
        "协议价在差旅平台未生效，客户多付票款。",
        "旅客{traveller}候补未确认且未收到通知。",
        "旅客{traveller}里程未按协议累积。",
        "旅客{traveller}升舱权益未兑现。",
    ),
}

PROSPECT_SUMMARIES = {
    "visit": (
        "初次拜访{contact}，介绍协议大客户计划及优先订座、候补保障等权益。",
        "拜访{contact}，客户目前主要选择其他航空公司，关注价格与航班时刻。",
    ),
    "call": ("电话联系{contact}，了解客户年度差旅规模及主要航线。", "致电{contact}，跟进报价方案的反馈。"),
    "email": ("向{contact}发送协议客户权益介绍及报价方案。",),
    "meeting": ("与客户行政部座谈，介绍{route}等航线的航班时刻与协议折扣。",),
}

OUTCOMES = {
    "visit": (
        "客户认可服务，计划增加出行量。",
        "客户希望提高国际航线折扣。",
        "达成初步续签意向。",
        "客户关注出票效率，需改进。",
    ),
    "call": ("客户无新增需求。", "已记录客户需求。", "客户同意下月面谈。"),
    "email": ("客户已确认收到。", None),
    "meeting": ("双方确认下季度保障重点航线。", "客户提出增加返还比例的诉求。"),
    "feedback": ("已转相关部门。", None),
    "complaint": ("已协调相关部门处理，并向客户致歉。", "已补录里程并告知旅客。", "已按规定完成赔偿。"),
}

NEXT_STEPS = (
    "下月上门拜访",
    "整理出行数据报表发送客户",
    "报分公司审批折扣调整",
    "协调地面服务部门跟进",
    "准备协议续签方案",
    "安排贵宾室体验",
    "跟进处理结果并回访",
)

SNOOZE_REASONS = ("客户出差，约定下周回访", "客户年会期间不便拜访", "等待客户反馈协议意见")

OPPORTUNITY_STEPS = ("提交报价方案", "安排高层会谈", "准备协议文本", "等待客户内部审批", "安排航线体验")

AGREEMENT_NOTES = (
    "客户要求提高国际航线折扣，已报分公司审批。",
    "集团统一签约，下属公司共享协议权益。",
    "客户差旅平台已完成协议价配置。",
    "返还奖励按季度结算。",
)
