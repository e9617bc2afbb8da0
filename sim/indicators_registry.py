"""Names of the indicators that targets may refer to (the computation lives in ``sim.indicators``).

Each entry: name -> (units, long name, status). ``status`` is ``simulated`` (computed from the
stock-and-flow model), ``trend`` (an exogenous trajectory driven by an uncertain annual rate, see
``sim.indicators``), as documented in the README's methods section.
"""

from sim.units import CO2_INTENSITY_UNITS, ENERGY_INTENSITY_UNITS

INDICATORS: dict[str, tuple[str, str, str]] = {
    "industrial_co2": ("Mt yr-1", "industrial CO2 emissions of the modelled sectors", "simulated"),
    "co2_intensity": (CO2_INTENSITY_UNITS, "industrial CO2 [kg CO2] per CNY (2019 prices) of industrial value added", "simulated"),
    "energy_intensity": (ENERGY_INTENSITY_UNITS, "industrial energy [kgce = 29.3076 MJ] per CNY (2019 prices) of industrial value added", "simulated"),
    "eaf_share": ("1", "scrap-EAF share of crude-steel output", "simulated"),
    "al_renewable_share": ("1", "renewable share of electricity used by electrolytic aluminium", "simulated"),
    "electricity_share": ("1", "electricity share of industrial final energy", "simulated"),
    "coal_consumption": ("PJ yr-1", "industrial coal consumption of the modelled sectors", "simulated"),
    "refining_capacity": ("Mt yr-1", "crude-oil primary processing capacity", "simulated"),
    "recycled_resources": ("Mt yr-1", "main renewable resources recycled", "simulated"),
    "solid_waste_utilisation": ("1", "bulk industrial solid-waste utilisation rate", "trend"),
    "green_factory_share": ("1", "output of green factories / manufacturing output", "trend"),
    "water_intensity": ("1", "water per unit of industrial value added, index 2020 = 1", "trend"),
    "pollutant_intensity": ("1", "main pollutant emission intensity of key sectors, index 2020 = 1", "trend"),
}
